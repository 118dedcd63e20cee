#!/usr/bin/python3
"""An independent ASP (Agent Socket Protocol, `asp-v1`) client peer, written from
docs/protocol.md and docs/test-vectors.json only.

Dependencies: the Python 3 standard library, Debian's python3-msgpack (1.0.x) and
python3-websockets (10.x). Run it with /usr/bin/python3.

Modes
  peer.py ws://127.0.0.1:PORT/asp [--token T] [--token-in-hello] [--codec msgpack|json]
      Runs the interop scenario against a server serving the "research-assistant" agent and
      prints human-readable progress, then ONE line of JSON (the summary) as the last line of
      stdout. Exit 0 only when every check passed.
  peer.py --vectors docs/test-vectors.json
      Checks the frame encoder/decoder and the receive rules against the test vectors.
  peer.py --probe docs/test-vectors.json ws://127.0.0.1:PORT/asp [--token T]
      Sends every "invalid"/"rejected" vector to a live server, one connection each, and
      compares the server's reaction (ERROR code, request id, close code) with the documented one.

References of the form "§N" point to sections of docs/protocol.md.
"""

from __future__ import annotations

import argparse
import asyncio
import decimal
import json
import math
import os
import re
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import msgpack  # python3-msgpack
import websockets  # python3-websockets

# ---------------------------------------------------------------------------------------------
# Constants (§3, §5, §19, §20, §21)
# ---------------------------------------------------------------------------------------------

SUBPROTOCOL = "asp-v1"  # §2: the client MUST offer it, the server MUST select it
VERSION = 1  # §3: header version nibble

HELLO, INVOKE, STREAM, INTERRUPT, TOOL_DEF, ERROR, COMPLETE, ACK, PING, PONG, GOAWAY, MESSAGE = range(
    1, 13
)
EXTENSION = 0xF
TYPE_NAMES = {
    HELLO: "HELLO",
    INVOKE: "INVOKE",
    STREAM: "STREAM",
    INTERRUPT: "INTERRUPT",
    TOOL_DEF: "TOOL_DEF",
    ERROR: "ERROR",
    COMPLETE: "COMPLETE",
    ACK: "ACK",
    PING: "PING",
    PONG: "PONG",
    GOAWAY: "GOAWAY",
    MESSAGE: "MESSAGE",
    EXTENSION: "EXTENSION",
}
UNASSIGNED_TYPES = {0x0, 0xD, 0xE}  # §5: answered with ERROR 501

FLAG_REPLY = 0x01  # §3: HELLO only
FLAG_RELIABLE = 0x02  # §3, §11
FLAG_NAMES = [(FLAG_REPLY, "REPLY"), (FLAG_RELIABLE, "RELIABLE")]

HEADER = struct.Struct(">BBHI")  # §3: 1+1+2+4 bytes, big-endian
HEADER_LEN = HEADER.size  # 8

DEFAULT_MAX_FRAME = 16 * 1024 * 1024  # §21
MAX_SAFE_INTEGER = 2**53 - 1  # §6 "uint": non-negative safe integer
CLIENT_HALF = (0x0001, 0x7FFF)  # §8
SERVER_HALF = (0x8000, 0xFFFF)

# §19 error codes used here
E_BAD_FRAME, E_UNAUTHORIZED, E_FORBIDDEN, E_NOT_FOUND, E_AGENT_NOT_FOUND = 400, 401, 403, 404, 406
E_TOO_LARGE, E_CODEC, E_ARGS, E_VERSION, E_TOO_MANY = 413, 415, 422, 426, 429
E_INTERRUPTED, E_HANDLER, E_UNKNOWN_TYPE, E_UNAVAILABLE = 499, 500, 501, 503

TOOL_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-/]{1,128}$")  # §6 ToolInfo, §21
NAMESPACE_RE = re.compile(r"^/[A-Za-z0-9_.\-/]{0,127}$")  # §17, §21


def log(*parts: Any) -> None:
    """Human-readable progress goes to stdout; the JSON summary is always the LAST line."""
    print(*parts, flush=True)


# ---------------------------------------------------------------------------------------------
# Frame layer (§3)
# ---------------------------------------------------------------------------------------------


class FrameError(Exception):
    """Not a frame at all (§18 rule 1)."""


@dataclass
class Frame:
    version: int
    type: int
    flags: int
    rid: int
    payload: bytes

    @property
    def reliable(self) -> bool:
        return bool(self.flags & FLAG_RELIABLE)


def encode_frame(ftype: int, flags: int, rid: int, payload: bytes, version: int = VERSION) -> bytes:
    """§3: byte 0 = (version << 4) | type, byte 1 flags, bytes 2-3 request id, 4-7 length."""
    if not (0 <= version <= 0xF and 0 <= ftype <= 0xF and 0 <= flags <= 0xFF and 0 <= rid <= 0xFFFF):
        raise ValueError("header field out of range")
    if len(payload) > 0xFFFFFFFF:
        raise ValueError("payload too long for the 32-bit length field")
    return HEADER.pack((version << 4) | ftype, flags, rid, len(payload)) + payload


def decode_frame(message: bytes) -> Frame:
    """§3: a frame is exactly one message: 8-byte header + exactly `length` bytes. A message
    shorter than 8 bytes, or whose length field disagrees with the bytes that arrived (too few or
    trailing), is not a frame. The version nibble is NOT checked here (§18 orders the checks:
    rule 1 framing, rule 2 version), so that the receive rules can answer 426 instead of 400."""
    if len(message) < HEADER_LEN:
        raise FrameError(f"frame of {len(message)} bytes is shorter than the 8-byte header")
    b0, flags, rid, length = HEADER.unpack_from(message, 0)
    arrived = len(message) - HEADER_LEN
    if length != arrived:
        raise FrameError(f"header says {length} payload bytes but {arrived} arrived")
    return Frame(b0 >> 4, b0 & 0xF, flags, rid, bytes(message[HEADER_LEN:]))


def type_name(ftype: int) -> str:
    return TYPE_NAMES.get(ftype, f"0x{ftype:x}")  # test vectors spell unknown types "0xe"


def flag_names(flags: int) -> list[str]:
    return [name for bit, name in FLAG_NAMES if flags & bit]


# ---------------------------------------------------------------------------------------------
# Payload codecs (§4)
# ---------------------------------------------------------------------------------------------


class PayloadError(Exception):
    """Payload does not decode with the session codec (§18 rule 5)."""


def _js_number_shape(value: Any) -> Any:
    """Mirror what the reference (JavaScript, msgpackr) encoder emits, so encoded bytes match the
    test vectors byte for byte (§4): integers that fit 32 bits use the smallest int format,
    larger integers and non-integers are float 64. JavaScript has one number type, so an integral
    float such as 3.0 is an integer there. Python bools stay bools.
    (Ambiguity: §4 says "integers up to 32 bits" without saying signed or unsigned; we treat
    -2^31 .. 2^32-1 as "fits", i.e. int32 for negatives and uint32 for positives.)"""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -(2**31) <= value <= 2**32 - 1 else float(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and -(2**31) <= value <= 2**32 - 1:
            return int(value)
        return value
    if isinstance(value, dict):
        return {str(k): _js_number_shape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_js_number_shape(v) for v in value]
    return value


def _json_shape(value: Any) -> Any:
    """JSON.stringify writes integral numbers without ".0"; do the same."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _json_shape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_shape(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        # §4: "JSON cannot carry binary data (a byte array becomes an object of indexes)".
        return {str(i): b for i, b in enumerate(value)}
    return value


def _js_number(x: float) -> str:
    """§4.1: a number as ECMAScript's Number::toString writes it (the shortest digits that read
    back to the same float 64; no exponent from 1e-6 up to below 1e21; "1e-7", "1e+21")."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not JSON")
    if x == 0:
        return "0"  # -0 too
    sign = "-" if x < 0 else ""
    _, digit_tuple, exp = decimal.Decimal(repr(abs(x))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exp + k  # the decimal point sits after n digits
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e > 0 else "-") + str(abs(e))


def _js_json(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool):
        out.append("null" if value is None else ("true" if value else "false"))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_js_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, dict):
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            out.append(("," if i else "") + json.dumps(str(k), ensure_ascii=False) + ":")
            _js_json(v, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _js_json(v, out)
        out.append("]")
    else:
        raise ValueError(f"a {type(value).__name__} has no JSON form")


def json_dumps(obj: Any) -> bytes:
    # What JavaScript's JSON.stringify writes (§4.1): no whitespace, raw UTF-8 (only " \\ and
    # U+0000-U+001F escaped), numbers as Number::toString; the vectors are compared byte for byte.
    out: list[str] = []
    _js_json(_json_shape(obj), out)
    return "".join(out).encode("utf-8")


def json_loads(data: bytes) -> Any:
    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"not JSON: {exc}") from exc


def _reject_ext(code: int, data: bytes) -> Any:
    # §4: no extension type is accepted, whatever its type.
    raise PayloadError(f"MessagePack extension type {code} is not accepted")


def _strict(value: Any) -> Any:
    # §4: map keys are str, and no extension type: msgpack-python decodes the timestamp (-1) itself,
    # without calling ext_hook, so it is refused here.
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise PayloadError(f"MessagePack map key is not a string ({type(k).__name__})")
            _strict(v)
    elif isinstance(value, list):
        for v in value:
            _strict(v)
    elif isinstance(value, msgpack.Timestamp):
        raise PayloadError("MessagePack extension type -1 is not accepted")
    return value


def encode_payload(codec: str, obj: Any) -> bytes:
    if codec == "msgpack":
        return msgpack.packb(_js_number_shape(obj), use_bin_type=True)
    if codec == "json":
        return json_dumps(obj)
    raise ValueError(f"unknown codec {codec}")


def decode_payload(codec: str, data: bytes) -> Any:
    """§4 / §18 rule 5: exactly one value, no trailing bytes; an empty payload does not decode."""
    if codec == "json":
        return json_loads(data)
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=_reject_ext)
    except PayloadError:
        raise
    except Exception as exc:  # ExtraData, FormatError, ValueError("incomplete input"), ...
        raise PayloadError(f"not MessagePack: {type(exc).__name__} {exc}") from exc
    return _strict(value)


# ---------------------------------------------------------------------------------------------
# Field validation (§6); used for §18 rules 6, 8 and 9
# ---------------------------------------------------------------------------------------------


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def is_uint(v: Any) -> bool:
    # §6: "any numeric encoding whose value is a non-negative safe integer"; §4: "an integer field
    # accepts a float 64 holding an integer".
    return is_number(v) and float(v).is_integer() and 0 <= v <= MAX_SAFE_INTEGER


def is_tool_info(v: Any) -> bool:
    return (
        isinstance(v, dict)
        and isinstance(v.get("name"), str)
        and bool(TOOL_NAME_RE.match(v["name"]))
        and (v.get("description") is None or isinstance(v.get("description"), str))
        and (v.get("inputSchema") is None or isinstance(v.get("inputSchema"), dict))
    )


def is_metrics(v: Any) -> bool:
    # §6 COMPLETE: receivers default missing metrics to 0, so every metric is optional.
    if not isinstance(v, dict):
        return False
    return all(
        v.get(k) is None or ok(v.get(k))
        for k, ok in (("durationMs", is_number), ("cpuMs", is_number), ("chunks", is_uint))
    )


CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "uint": is_uint,
    "number": is_number,
    "any": lambda v: True,
    "bool": lambda v: isinstance(v, bool),
    "map": lambda v: isinstance(v, dict),
    "toolinfos": lambda v: isinstance(v, list) and all(is_tool_info(t) for t in v),
    "strings": lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
    "numbers": lambda v: isinstance(v, list) and all(is_number(n) for n in v),
    "metrics": is_metrics,
    "dl": lambda v: is_uint(v) and v in (0, 1, 2),  # §6 INVOKE dl: other values -> ERROR 400
    "resume": lambda v: isinstance(v, dict)
    and isinstance(v.get("sid"), str)
    and isinstance(v.get("rt"), str)
    and is_uint(v.get("last")),
    "agentinfo": lambda v: isinstance(v, dict)
    and isinstance(v.get("name"), str)
    and (v.get("version") is None or isinstance(v.get("version"), str))
    and CHECKS["toolinfos"](v.get("tools")),
}

# (kind, required) per key, straight from the tables of §6. `sq` is handled separately (§11).
PAYLOAD_FIELDS: dict[int, dict[str, tuple[str, bool]]] = {
    INVOKE: {
        "id": ("string", True),
        "tool": ("string", True),
        "args": ("any", False),
        "dl": ("dl", False),
        "tp": ("string", False),
        "to": ("string", False),
        "ts": ("number", False),
    },
    STREAM: {"seq": ("uint", True), "data": ("any", False)},
    INTERRUPT: {"reason": ("string", False)},
    TOOL_DEF: {"id": ("string", True), "tools": ("toolinfos", False), "removed": ("strings", False)},
    ERROR: {"code": ("uint", True), "message": ("string", True), "data": ("any", False)},
    COMPLETE: {"result": ("any", False), "metrics": ("metrics", False)},
    ACK: {"ack": ("uint", True)},
    PING: {"t": ("number", False)},
    PONG: {"t": ("number", False)},
    GOAWAY: {"code": ("uint", True), "reason": ("string", False), "retryMs": ("uint", False)},
    MESSAGE: {
        "id": ("string", True),
        "ev": ("string", True),
        "data": ("any", False),
        "from": ("string", True),
        "room": ("string", False),
    },
}
HELLO_FIELDS = {
    "v": ("numbers", True),
    "codecs": ("strings", True),
    "maxFrame": ("uint", False),
    "hb": ("uint", False),
    "maxInflight": ("uint", False),
    "token": ("string", False),
    "agent": ("string", False),
    "tools": ("toolinfos", False),
    "ns": ("string", False),
    "batch": ("bool", False),  # §2
    "piggyback": ("bool", False),  # §11 "Acks carried by other frames"
    "lean": ("bool", False),  # §6 "Lean envelope"
    "resume": ("resume", False),
}
HELLO_REPLY_FIELDS = {
    "v": ("uint", True),
    "codec": ("string", True),
    "maxFrame": ("uint", True),
    "hb": ("uint", True),
    "maxInflight": ("uint", True),
    "sid": ("string", True),
    "rt": ("string", True),
    "resumed": ("bool", False),
    "last": ("uint", False),
    "agent": ("agentinfo", True),
    "ns": ("string", False),
    "aid": ("string", False),
    "batch": ("bool", False),  # §2
    "piggyback": ("bool", False),  # §11 "Acks carried by other frames"
    "lean": ("bool", False),  # §6 "Lean envelope"
}


def field_problem(payload: Any, fields: dict[str, tuple[str, bool]]) -> Optional[str]:
    """None if `payload` is a map whose known fields have the right types (§6). Unknown fields
    are ignored (§4, §22); nil in an optional field means absent (§4)."""
    if not isinstance(payload, dict):
        return "payload is not a map"
    for key, (kind, required) in fields.items():
        value = payload.get(key)
        if value is None:
            if required:
                return f"missing required field {key!r}"
            continue
        if not CHECKS[kind](value):
            return f"field {key!r} has the wrong type ({kind} expected)"
    return None


def valid_sq(payload: Any) -> bool:
    # §11: "no valid sq (missing, not an integer >= 1)"
    return isinstance(payload, dict) and is_uint(payload.get("sq")) and payload["sq"] >= 1


# ---------------------------------------------------------------------------------------------
# A small JSON Schema subset (§6 INVOKE args are validated against inputSchema, ERROR 422)
# ---------------------------------------------------------------------------------------------


def schema_errors(schema: Any, value: Any, path: str = "") -> list[str]:
    """Enough of draft 2020-12 for tool argument schemas: type, properties, required,
    additionalProperties (bool), items, enum, const, min/maxLength, minimum/maximum, min/maxItems."""
    if not isinstance(schema, dict):
        return []
    errs: list[str] = []
    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        ok = False
        for one in types:
            if one == "object" and isinstance(value, dict):
                ok = True
            elif one == "array" and isinstance(value, list):
                ok = True
            elif one == "string" and isinstance(value, str):
                ok = True
            elif one == "boolean" and isinstance(value, bool):
                ok = True
            elif one == "null" and value is None:
                ok = True
            elif one == "number" and is_number(value):
                ok = True
            elif one == "integer" and is_number(value) and float(value).is_integer():
                ok = True
        if not ok:
            return [f"{path or '/'}: expected {t}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{path or '/'}: not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errs.append(f"{path or '/'}: not {schema['const']!r}")
    if isinstance(value, str):
        if isinstance(schema.get("minLength"), int) and len(value) < schema["minLength"]:
            errs.append(f"{path or '/'}: shorter than {schema['minLength']}")
        if isinstance(schema.get("maxLength"), int) and len(value) > schema["maxLength"]:
            errs.append(f"{path or '/'}: longer than {schema['maxLength']}")
    if is_number(value):
        if is_number(schema.get("minimum")) and value < schema["minimum"]:
            errs.append(f"{path or '/'}: below {schema['minimum']}")
        if is_number(schema.get("maximum")) and value > schema["maximum"]:
            errs.append(f"{path or '/'}: above {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for req in schema.get("required", []) or []:
            if req not in value:
                errs.append(f"{path}/{req}: required")
        for key, sub in props.items():
            if key in value:
                errs.extend(schema_errors(sub, value[key], f"{path}/{key}"))
        if schema.get("additionalProperties") is False:
            errs.extend(f"{path}/{k}: not allowed" for k in value if k not in props)
    if isinstance(value, list):
        if isinstance(schema.get("minItems"), int) and len(value) < schema["minItems"]:
            errs.append(f"{path or '/'}: fewer than {schema['minItems']} items")
        if isinstance(schema.get("maxItems"), int) and len(value) > schema["maxItems"]:
            errs.append(f"{path or '/'}: more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                errs.extend(schema_errors(schema["items"], item, f"{path}/{i}"))
    return errs


def sample_args(schema: Any) -> Any:
    """Arguments that satisfy a tool's inputSchema: used to call the tool announced mid-session,
    whose arguments the peer cannot know in advance (only its schema, §6 ToolInfo)."""
    if not isinstance(schema, dict):
        return {}
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    t = schema.get("type", "object")
    t = t[0] if isinstance(t, list) and t else t
    if t == "object":
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        return {k: sample_args(props.get(k, {})) for k in (schema.get("required") or [])}
    if t == "string":
        n = max(int(schema.get("minLength", 0) or 0), 1)
        return ("interop" * n)[: max(n, 7)][: int(schema.get("maxLength", 10**6))]
    if t in ("number", "integer"):
        lo = schema.get("minimum", 1)
        return int(lo) if t == "integer" else lo
    if t == "boolean":
        return True
    if t == "array":
        n = int(schema.get("minItems", 0) or 0)
        return [sample_args(schema.get("items", {})) for _ in range(n)]
    return None


# ---------------------------------------------------------------------------------------------
# Message ids (§9): ULID, monotonic within a millisecond
# ---------------------------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class Ulid:
    def __init__(self) -> None:
        self.last_ms = -1
        self.last_rand = 0

    def __call__(self) -> str:
        ms = int(time.time() * 1000)
        if ms <= self.last_ms:  # same (or earlier) millisecond: increment the random part
            ms, rand = self.last_ms, (self.last_rand + 1) & ((1 << 80) - 1)
        else:
            rand = int.from_bytes(os.urandom(10), "big")
        self.last_ms, self.last_rand = ms, rand
        value = (ms << 80) | rand  # 48 + 80 = 128 bits in 26 base32 characters (130 bits)
        return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


new_ulid = Ulid()


# ---------------------------------------------------------------------------------------------
# The lean envelope (§6 "Lean envelope", §9 "The 16-byte form")
# ---------------------------------------------------------------------------------------------

ULID_RE = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
LEAN_KEYS = {INVOKE: {"tool": "n", "args": "a"}, STREAM: {"seq": "s", "data": "d"}, COMPLETE: {"result": "r", "metrics": "m"}}


def ulid_to_bytes(msg_id: str) -> Optional[bytes]:
    """§9: a canonical ULID as its 128 bits, big-endian; None for any other id (it stays a string)."""
    if not ULID_RE.fullmatch(msg_id):
        return None
    value = 0
    for ch in msg_id:
        value = value * 32 + CROCKFORD.index(ch)
    return value.to_bytes(16, "big")


def ulid_from_bytes(raw: bytes) -> str:
    """§9: 16 bytes -> the canonical 26-character upper-case Crockford string."""
    value = int.from_bytes(raw, "big")
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def to_lean(ftype: int, payload: dict, binary_ids: bool) -> dict:
    """§6: the lean form of a long-form INVOKE, STREAM or COMPLETE (other keys keep their place)."""
    keys = LEAN_KEYS.get(ftype)
    if keys is None:
        return payload
    out: dict[str, Any] = {}
    for k, v in payload.items():
        if ftype == INVOKE and k == "id":
            raw = ulid_to_bytes(v) if binary_ids and isinstance(v, str) else None
            out["i"] = raw if raw is not None else v
        else:
            out[keys.get(k, k)] = v
    return out


def to_long(ftype: int, payload: Any) -> Any:
    """§6 "Which form a frame is in": a lean INVOKE, STREAM or COMPLETE read as its long form.
    A lean INVOKE keeps `m` and is marked `_lean` (its COMPLETE carries metrics only with m: true).
    A bin `i` of 16 bytes becomes its ULID string (§9); a bin of another length is left as it is,
    so the field rules refuse it (400)."""
    if not isinstance(payload, dict):
        return payload
    if ftype == INVOKE and payload.get("id") is None:
        out = {k: v for k, v in payload.items() if k not in ("i", "n", "a")}
        i = payload.get("i")
        out["id"] = ulid_from_bytes(i) if isinstance(i, bytes) and len(i) == 16 else i
        out["tool"], out["args"], out["_lean"] = payload.get("n"), payload.get("a"), True
        return out
    if ftype == STREAM and payload.get("seq") is None:
        return {**{k: v for k, v in payload.items() if k not in ("s", "d")}, "seq": payload.get("s"), "data": payload.get("d")}
    if ftype == COMPLETE and payload.get("result") is None and payload.get("metrics") is None:
        return {**{k: v for k, v in payload.items() if k not in ("r", "m")}, "result": payload.get("r"), "metrics": payload.get("m")}
    return payload


# ---------------------------------------------------------------------------------------------
# Receive rules (§18), shared by the live peer and by the vector checks
# ---------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """What a receiver does with one incoming message."""

    action: str  # "process" | "fatal" | "error" | "drop" | "ignore"
    frame: Optional[Frame] = None
    payload: Any = None
    code: Optional[int] = None  # ERROR code to send (fatal/error)
    rid: int = 0  # request id of that ERROR
    close: Optional[int] = None  # close code (fatal)
    message: str = ""
    error_reliable: bool = False  # §10: an INVOKE-check ERROR is RELIABLE as the INVOKE was
    ack: bool = False  # a RELIABLE frame with a valid sq arrived: it must be acknowledged (§11)
    carried: Optional[int] = None  # piggyback agreed: the `ack` this frame carried (§11)
    stray_ack: bool = False  # no piggyback agreed, yet the payload had `ack` (ignored, §11)


@dataclass
class Receiver:
    """Per-connection receive state of one side. `role` is "client" or "server"."""

    role: str
    codec: str
    max_frame: int = DEFAULT_MAX_FRAME  # what THIS side declared it accepts (§6, §7.3)
    max_inflight: int = 256  # requests the other side may run here (our declaration)
    tools: dict[str, dict] = field(default_factory=dict)  # tools THIS side serves
    last_sq: int = 0  # highest sq received (§11)
    incoming: set[int] = field(default_factory=set)  # rids of requests the other side runs here
    outgoing: set[int] = field(default_factory=set)  # rids of our own calls that have not ended
    piggyback: bool = False  # both ends agreed to carry acks in other frames (§7.3, §11)
    lean: bool = False  # both ends agreed to the lean envelope (§7.3, §6): both forms are read

    def own_half(self, rid: int) -> bool:
        lo, hi = CLIENT_HALF if self.role == "client" else SERVER_HALF
        return lo <= rid <= hi

    def receive(self, message: bytes) -> Verdict:
        # Rule 1: framing.
        try:
            frame = decode_frame(message)
        except FrameError as exc:
            return Verdict("fatal", code=E_BAD_FRAME, close=4400, message=str(exc))
        # Rule 2: version nibble (§3: "Any other value after the handshake ... ERROR 426 and
        # close 4426").
        if frame.version != VERSION:
            return Verdict("fatal", frame, code=E_VERSION, close=4426, message=f"unsupported frame version {frame.version}")
        # Rule 3: unknown / extension type, or HELLO after the handshake: ERROR 501 on the frame's
        # request id, frame ignored, connection open.
        if frame.type in UNASSIGNED_TYPES or frame.type in (EXTENSION, HELLO):
            return Verdict(
                "error", frame, code=E_UNKNOWN_TYPE, rid=frame.rid, message=f"frame type 0x{frame.type:x} is not understood here"
            )
        # Rule 4: payload over our maxFrame.
        if len(frame.payload) > self.max_frame:
            return Verdict("error", frame, code=E_TOO_LARGE, rid=frame.rid, message="payload exceeds maxFrame")
        # Rule 5: payload must decode with the session codec.
        try:
            payload = decode_payload(self.codec, frame.payload)
        except PayloadError as exc:
            return Verdict("fatal", frame, code=E_BAD_FRAME, close=4400, message=str(exc))
        # §11 piggyback: once agreed, any payload but HELLO's and ACK's may carry `ack`. It is taken
        # here, once the payload has decoded and before `sq` is looked at, so a duplicate dropped
        # by its sq still acknowledges. A non-uint `ack` is a malformed frame (400, close 4400).
        # Without the agreement `ack` is an unknown field and ignored, whatever its value.
        carried: Optional[int] = None
        stray = False
        if frame.type != ACK and isinstance(payload, dict) and payload.get("ack") is not None:
            if not self.piggyback:
                stray = True
            elif not is_uint(payload["ack"]):
                return Verdict("fatal", frame, payload, code=E_BAD_FRAME, close=4400, message="carried ack is not a uint")
            else:
                carried = int(payload["ack"])
        v = self._after_decode(frame, payload)
        v.carried, v.stray_ack = carried, stray
        return v

    def _after_decode(self, frame: Frame, payload: Any) -> Verdict:
        # Rule 6/7: RELIABLE frames carry a valid sq; duplicates are dropped but acknowledged.
        ack = False
        if frame.reliable:
            if not valid_sq(payload):
                return Verdict("fatal", frame, payload, code=E_BAD_FRAME, close=4400, message="RELIABLE frame without a valid sq")
            ack = True
            if payload["sq"] <= self.last_sq:
                return Verdict("drop", frame, payload, ack=True)
            self.last_sq = int(payload["sq"])  # §11: "otherwise last = sq and the frame is processed"
        # §6 "Lean envelope": with it agreed, INVOKE, STREAM and COMPLETE may come in either form.
        if self.lean:
            payload = to_long(frame.type, payload)
        # Rules 8/9: payload shape.
        problem = field_problem(payload, PAYLOAD_FIELDS[frame.type])
        if not problem and isinstance(payload, dict) and payload.get("_lean") and payload.get("m") is not None and not isinstance(payload["m"], bool):
            problem = "field 'm' has the wrong type (bool expected)"
        if problem:
            if frame.rid == 0 or frame.type == ERROR:
                return Verdict("fatal", frame, payload, code=E_BAD_FRAME, close=4400, message=problem, ack=ack)
            return Verdict("error", frame, payload, code=E_BAD_FRAME, rid=frame.rid, message=problem, ack=ack)
        # Rule 10: INVOKE checks, in the order of §10.
        if frame.type == INVOKE:
            v = self._check_invoke(frame, payload)
            if v is not None:
                v.ack = ack
                return v
        # Rule 11: request frames for a request id with no matching request are ignored.
        if frame.type in (STREAM, COMPLETE) and frame.rid not in self.outgoing:
            return Verdict("ignore", frame, payload, ack=ack)
        if frame.type == ERROR and frame.rid != 0 and frame.rid not in self.outgoing:
            return Verdict("ignore", frame, payload, ack=ack)
        if frame.type == INTERRUPT and frame.rid not in self.incoming:
            return Verdict("ignore", frame, payload, ack=ack)
        return Verdict("process", frame, payload, ack=ack)

    def _check_invoke(self, frame: Frame, p: dict) -> Optional[Verdict]:
        def err(code: int, msg: str) -> Verdict:
            return Verdict("error", frame, p, code=code, rid=frame.rid, message=msg, error_reliable=frame.reliable)

        if frame.rid == 0 or self.own_half(frame.rid):
            return err(E_BAD_FRAME, f"request id {frame.rid} is not in the caller's half")
        if frame.rid in self.incoming:
            return err(E_BAD_FRAME, f"request id {frame.rid} is already in use")
        if len(self.incoming) >= self.max_inflight:
            return err(E_TOO_MANY, "too many requests in flight")
        dl = 1 if p.get("dl") is None else int(p["dl"])  # §6: default 1
        if frame.reliable != (dl in (1, 2)):
            return err(E_BAD_FRAME, "RELIABLE flag does not match dl")
        if p.get("to") is not None:
            # A client does not route (§24.6 "a server->client INVOKE with `to` is answered 406");
            # a server routes to a connected agent: our simulated server knows none.
            return err(E_AGENT_NOT_FOUND, f"no agent {p['to']!r}")
        tool = self.tools.get(p["tool"])
        if tool is None:
            return err(E_NOT_FOUND, f"no tool {p['tool']!r}")
        args = {} if p.get("args") is None else p["args"]  # §6: absent or nil is treated as {}
        problems = schema_errors(tool.get("inputSchema"), args)
        if problems:
            return err(E_ARGS, f"invalid arguments for {p['tool']!r}: {'; '.join(problems)}")
        return None


def server_check_hello(message: bytes, accepted_tokens: set[str], codecs: tuple[str, ...] = ("msgpack", "json")) -> Optional[tuple[int, int]]:
    """The server's handshake checks of §7.2, in order, as (error code, close code); None = OK.
    Used to check the 'rejected' handshake vectors. The simulated server has an authenticate
    hook that accepts `accepted_tokens` and serves namespace "/"."""
    try:
        frame = decode_frame(message)
    except FrameError:
        return (E_BAD_FRAME, 4400)
    # "The header's version nibble and request id of the HELLO are not checked; v is."
    if frame.type != HELLO or frame.flags & FLAG_REPLY:
        return (E_BAD_FRAME, 4400)
    try:
        hello = json_loads(frame.payload)
    except PayloadError:
        return (E_BAD_FRAME, 4400)
    if field_problem(hello, HELLO_FIELDS):
        return (E_BAD_FRAME, 4400)
    if 1 not in hello["v"]:
        return (E_VERSION, 4426)
    if not any(c in codecs for c in hello["codecs"]):
        return (E_CODEC, 4415)
    if hello.get("token") not in accepted_tokens:
        return (E_UNAUTHORIZED, 4401)
    ns = hello.get("ns") or "/"
    if not NAMESPACE_RE.match(ns) or ns != "/":
        return (E_FORBIDDEN, 4403)
    return None


# ---------------------------------------------------------------------------------------------
# The live client peer
# ---------------------------------------------------------------------------------------------


class HandshakeRefused(Exception):
    def __init__(self, code: Optional[int], message: str, close: Optional[int] = None, http: Optional[int] = None):
        super().__init__(message)
        self.code, self.message, self.close, self.http = code, message, close, http


@dataclass
class Call:
    """One outgoing request (§10): INVOKE, STREAM chunks, exactly one terminal frame."""

    rid: int
    msg_id: str
    tool: str
    dl: int
    chunks: list[Any] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    next_seq: int = 0
    flags_ok: bool = True  # every frame of the request had RELIABLE exactly as the INVOKE (§5)
    terminals: int = 0
    asked_metrics: bool = True  # §6: the long form always gets metrics; a lean INVOKE only with m: true
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def reliable(self) -> bool:
        return self.dl in (1, 2)


class Peer:
    # What this client serves: the agent asks us `clarify` mid-stream (server -> client INVOKE).
    # Its contract (arguments {question, options: [..]}, a string result) is application-level and
    # not in the spec. §6 HELLO `tools` is "Tools the client serves to the server"; the spec does
    # not say whether a server invokes only tools the client listed, so we list it. (Observed: the
    # demo invokes `clarify` even when the client lists no tools, and a client answering 404 makes
    # the research call fail with 404.)
    CLARIFY_TOOL = {
        "name": "clarify",
        "description": "Asks the user to choose one of several readings of an ambiguous request",
        "inputSchema": {
            "type": "object",
            "properties": {"question": {"type": "string"}, "options": {"type": "array", "items": {"type": "string"}}},
            "required": ["question", "options"],
        },
    }

    def __init__(
        self,
        url: str,
        codec: str,
        token: Optional[str],
        token_in_hello: bool,
        hb_ms: int,
        batch: bool = False,
        piggyback: bool = False,
        lean: bool = False,
    ) -> None:
        self.url, self.codec, self.token, self.token_in_hello, self.hb_proposal = url, codec, token, token_in_hello, hb_ms
        self.piggyback_offer = piggyback  # §11 carried acks: offered in HELLO with --piggyback
        self.piggybacking = False  # both ends agreed (§7.3), per connection
        self.carried_in = 0  # frames from the server whose payload carried `ack`
        self.released_by_carried = 0  # kept frames of ours released by those
        self.emptied_by_carried = 0  # times a carried ack released frames and left none kept
        self.carried_out = 0  # frames we sent with `ack` in the payload
        self.stray_acks_in = 0  # `ack` in a payload without the agreement (ignored)
        self.lean_offer = lean  # §6 lean envelope: offered in HELLO with --lean
        self.leaning = False  # both ends agreed (§7.3), per connection
        self.lean_out = 0  # INVOKE/COMPLETE frames we sent in the lean form
        self.lean_in = 0  # INVOKE/STREAM/COMPLETE frames that came in the lean form
        self.metrics_unasked = 0  # lean COMPLETEs for calls that did not ask for metrics, and had none
        self.batch_offer = batch  # §2 batching: offered in HELLO with --batch
        self.batching = False  # both ends agreed (§7.3)
        self.messages_in = 0
        self.frames_in = 0
        self.batches_in = 0  # messages that carried more than one frame
        self.batches_out = 0
        self.ws: Any = None
        self.reply: dict = {}
        self.rx: Receiver = Receiver("client", codec, DEFAULT_MAX_FRAME, 16, {"clarify": self.CLARIFY_TOOL})
        self.send_lock = asyncio.Lock()
        self.sq = 0  # our RELIABLE counter (§11)
        self.unacked: dict[int, bytes] = {}  # sq -> exact bytes, kept until acknowledged
        self.peer_acked = 0
        self.acks_received = 0
        self.acks_sent = 0
        self.ack_sent_upto = 0
        self.ack_timer: Optional[asyncio.TimerHandle] = None
        self.unacked_in = 0
        self.next_rid = CLIENT_HALF[0]
        self.calls: dict[int, Call] = {}
        self.server_tools: dict[str, dict] = {}
        self.announced: list[dict] = []
        self.tooldef_event = asyncio.Event()
        self.pings: dict[float, float] = {}  # t -> send time
        self.pongs: list[dict] = []
        self.pings_received = 0
        self.last_heard = time.monotonic()
        self.violations: list[str] = []
        self.incoming_tasks: dict[int, asyncio.Task] = {}
        self.incoming_reliable: dict[int, bool] = {}
        self.resume_reply: dict = {}
        self.replayed_by_us = 0
        self.duplicates = 0
        self._dup_seen = False  # a duplicate RELIABLE frame arrived: re-send the ACK (§11 rule 7)
        self.clarify_calls: list[dict] = []
        self.messages: list[dict] = []
        self.seen_message_ids: set[str] = set()
        self.goaway: Optional[dict] = None
        self.closed = asyncio.Event()
        self.hb = 0

    # -- sending ---------------------------------------------------------------------------

    async def send(self, ftype: int, rid: int, payload: dict, reliable: bool = False, flags: int = 0) -> None:
        async with self.send_lock:  # sq order == wire order (§11: "in sending order")
            if self.leaning and ftype in LEAN_KEYS:
                # §6: once agreed, the lean form (a ULID id as 16 bytes where the codec has bin).
                payload = to_lean(ftype, payload, self.codec == "msgpack")
                self.lean_out += 1
            if reliable:
                self.sq += 1
                payload = {**payload, "sq": self.sq}
                flags |= FLAG_RELIABLE
            carried = 0
            if self.piggybacking and ftype not in (HELLO, ACK):
                # §11 piggyback: a frame that goes out anyway acknowledges what we received, so no
                # ACK frame is needed for it. (A kept frame is replayed with this `ack` unchanged.)
                last = self.rx.last_sq
                if last > 0 and (last > self.ack_sent_upto or self._dup_seen):
                    carried = last
                    payload = {**payload, "ack": last}
            body = json_dumps(payload) if ftype == HELLO else encode_payload(self.codec, payload)
            limit = self.reply.get("maxFrame", DEFAULT_MAX_FRAME) if ftype != HELLO else DEFAULT_MAX_FRAME
            if len(body) > limit:  # §7.3: MUST NOT send a payload larger than the other side's maxFrame
                raise RuntimeError(f"payload of {len(body)} bytes exceeds the server's maxFrame {limit}")
            data = encode_frame(ftype, flags, rid, body)
            if carried:  # everything received so far is acknowledged: no ACK frame is due
                self._dup_seen = False
                self.ack_sent_upto = carried
                self.unacked_in = 0
                self.carried_out += 1
                if self.ack_timer is not None:
                    self.ack_timer.cancel()
                    self.ack_timer = None
            if reliable:
                self.unacked[self.sq] = data  # §11: keep the exact bytes until acknowledged
            await self.ws.send(data)

    async def send_error(self, rid: int, code: int, message: str, reliable: bool = False) -> None:
        await self.send(ERROR, rid, {"code": code, "message": message}, reliable=reliable)

    def schedule_ack(self) -> None:
        """§11 coalescing (reference schedule): ACK 5 ms after the first unacknowledged RELIABLE
        frame, or at once when 32 have arrived. With piggyback agreed, any frame we send before
        then carries the `ack` instead and cancels the timer (see send()), so an ACK frame only
        goes out when we had nothing else to send."""
        self.unacked_in += 1
        if self.unacked_in >= 32:
            asyncio.ensure_future(self.flush_ack())
        elif self.ack_timer is None:
            self.ack_timer = asyncio.get_running_loop().call_later(0.005, lambda: asyncio.ensure_future(self.flush_ack()))

    async def flush_ack(self) -> None:
        if self.ack_timer is not None:
            self.ack_timer.cancel()
            self.ack_timer = None
        self.unacked_in = 0
        last = self.rx.last_sq
        if last > 0 and (last > self.ack_sent_upto or self._dup_seen):
            self._dup_seen = False
            self.ack_sent_upto = last
            self.acks_sent += 1
            try:
                await self.send(ACK, 0, {"ack": last})  # never RELIABLE, request 0
            except websockets.ConnectionClosed:
                pass

    # -- handshake (§7) --------------------------------------------------------------------

    async def connect(self, resume: bool = False) -> None:
        """Open a connection and do the handshake (§7). With `resume`, ask to continue the
        current session (§12 client 3-4)."""
        headers = {}
        if self.token and not self.token_in_hello:
            headers["Authorization"] = f"Bearer {self.token}"  # §2: auth at the upgrade
        try:
            self.ws = await websockets.connect(
                self.url,
                subprotocols=[SUBPROTOCOL],
                extra_headers=headers,
                # §2/§21: mirror the reference cap (2 x maxFrame + 64 KiB) so an over-limit frame
                # meets the ASP rule 4 (ERROR 413) rather than the WebSocket library.
                max_size=2 * DEFAULT_MAX_FRAME + 65536,
                ping_interval=None,  # ASP has its own PING (§16); we still answer server WS pings
                compression=None,  # §2: permessage-deflate is off in the reference transport
                open_timeout=10,
            )
        except websockets.exceptions.InvalidStatusCode as exc:
            raise HandshakeRefused(None, f"HTTP {exc.status_code} at the upgrade", http=exc.status_code) from exc
        if self.ws.subprotocol != SUBPROTOCOL:  # §2: the server MUST select asp-v1
            await self.ws.close(4426, "asp-v1 not selected")
            raise HandshakeRefused(None, "server did not select asp-v1")

        hello: dict[str, Any] = {
            "v": [1],
            "codecs": [self.codec],
            "maxFrame": DEFAULT_MAX_FRAME,
            "hb": self.hb_proposal,
            "maxInflight": self.rx.max_inflight,
            "tools": [self.CLARIFY_TOOL],
        }
        if self.token and self.token_in_hello:
            hello["token"] = self.token
        if self.batch_offer:
            hello["batch"] = True  # §6: we accept several frames per message, and would send them
        if self.piggyback_offer:
            hello["piggyback"] = True  # §6: we accept `ack` in any payload, and would send it there
        if self.lean_offer:
            hello["lean"] = True  # §6: we read both forms of INVOKE, STREAM, COMPLETE, and would send the lean one
        if resume:
            # §12 client 3: sid and rt of the session, and the highest sq received from the server;
            # codecs as on the first connection.
            hello["resume"] = {"sid": self.reply["sid"], "rt": self.reply["rt"], "last": self.rx.last_sq}
        self.piggybacking = self.rx.piggyback = False  # until this connection's reply agrees
        self.leaning = self.rx.lean = False
        await self.send(HELLO, 0, hello)
        # §7.1: send nothing else until the reply. §7.6: give up after 10 s with 4408.
        try:
            message = await asyncio.wait_for(self.ws.recv(), 10)
        except asyncio.TimeoutError:
            await self.ws.close(4408, "no HELLO reply")
            raise HandshakeRefused(None, "no HELLO reply within 10 s", close=4408)
        except websockets.ConnectionClosed as exc:
            raise HandshakeRefused(None, "connection closed before the HELLO reply", close=exc.code)
        self.last_heard = time.monotonic()
        try:
            if not isinstance(message, bytes):
                raise FrameError("text message")
            frame = decode_frame(message)
            if frame.type == ERROR and frame.rid == 0:
                # §7.2: a refusal is ERROR {code, message} in JSON, then a close.
                err = json_loads(frame.payload)
                if field_problem(err, PAYLOAD_FIELDS[ERROR]):
                    raise PayloadError("malformed ERROR")
                close = None
                try:
                    await asyncio.wait_for(self.ws.wait_closed(), 5)
                    close = self.ws.close_code
                except asyncio.TimeoutError:
                    await self.ws.close(1000)
                raise HandshakeRefused(int(err["code"]), err["message"], close=close)
            if frame.type != HELLO or not frame.flags & FLAG_REPLY or frame.version != VERSION:
                raise FrameError(f"expected the HELLO reply, got {type_name(frame.type)} flags {frame.flags}")
            reply = json_loads(frame.payload)  # §4: HELLO payloads are always JSON
            problem = field_problem(reply, HELLO_REPLY_FIELDS)
            if problem:
                raise PayloadError(problem)
            if reply["v"] != 1 or reply["codec"] != self.codec:
                raise PayloadError(f"server chose v={reply['v']} codec={reply['codec']!r}, which we did not offer")
        except (FrameError, PayloadError) as exc:
            await self.ws.close(4400, "unreadable HELLO reply")  # §20 4400
            raise HandshakeRefused(None, f"unreadable HELLO reply: {exc}", close=4400) from exc
        self.closed = asyncio.Event()
        self.last_heard = time.monotonic()
        self.hb = int(reply["hb"])
        # §7.3: batching is on when we offered it and the reply says batch: true.
        if reply.get("batch") is True and not self.batch_offer:
            self.violations.append("HELLO reply agreed to batch, which we did not offer")
        self.batching = self.batch_offer and reply.get("batch") is True
        # §7.3: carried acks are on when we offered them and the reply says piggyback: true;
        # agreed per connection (a resume negotiates again).
        if reply.get("piggyback") is True and not self.piggyback_offer:
            self.violations.append("HELLO reply agreed to piggyback, which we did not offer")
        self.piggybacking = self.piggyback_offer and reply.get("piggyback") is True
        self.rx.piggyback = self.piggybacking
        # §7.3: the lean envelope is on when we offered it and the reply says lean: true.
        if reply.get("lean") is True and not self.lean_offer:
            self.violations.append("HELLO reply agreed to lean, which we did not offer")
        self.leaning = self.rx.lean = self.lean_offer and reply.get("lean") is True
        if resume:
            self.resume_reply = reply
            if not reply.get("resumed"):
                # §12 client 4, resumed: false: a new session. Re-sending unfinished reliable
                # calls with new request ids is not needed by this scenario; report it instead.
                self.reply = reply
                raise HandshakeRefused(None, "resume refused: the server started a new session")
            # §12 client 4, resumed: true: drop kept frames the server has (sq <= its last) and
            # send the rest again, unchanged and in order.
            server_last = int(reply.get("last") or 0)
            for sq in [s for s in self.unacked if s <= server_last]:
                del self.unacked[sq]
            self.replayed_by_us = len(self.unacked)
            async with self.send_lock:
                kept = [self.unacked[sq] for sq in sorted(self.unacked)]
                if self.batching and len(kept) > 1:
                    # §2: once batching is agreed, whole frames may go back to back in one message.
                    await self.ws.send(b"".join(kept))
                    self.batches_out += 1
                else:
                    for data in kept:
                        await self.ws.send(data)
            return
        self.reply = reply
        for tool in reply["agent"]["tools"]:
            self.server_tools[tool["name"]] = tool

    # -- receiving -------------------------------------------------------------------------

    async def reader(self) -> None:
        try:
            async for message in self.ws:
                self.last_heard = time.monotonic()  # §16: any frame counts
                if not isinstance(message, bytes):
                    # §2: text messages are not allowed; the reference closes with 4400.
                    self.violations.append("text WebSocket message received")
                    await self.ws.close(4400, "text message")
                    break
                self.messages_in += 1
                for frame_bytes in self.cut(message):
                    self.frames_in += 1
                    await self.handle(frame_bytes)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            # §12 client 1: on a dropped connection only at-most-once calls fail (locally);
            # reliable calls are kept for the resume. After our own close 1000 nothing is pending.
            for call in self.calls.values():
                if not call.done.done() and (not call.reliable or self.ws.close_code == 1000):
                    call.done.set_result(("closed", {"code": self.ws.close_code, "message": "connection closed"}))
            for rid, task in list(self.incoming_tasks.items()):
                if not self.incoming_reliable.get(rid, True):
                    task.cancel()  # §12 client 1: abort handlers of at-most-once server requests

    def cut(self, message: bytes) -> list[bytes]:
        """§2 batching: the frames of one message, by their headers' payload lengths. Without
        batching a message is one frame. Bytes that do not tile are passed on as they are, so the
        frame decoder refuses them (§18 rule 1)."""
        if not self.batching:
            return [message]
        frames = cut_batch(message)
        if len(frames) > 1:
            self.batches_in += 1
        return frames

    def release(self, upto: int) -> int:
        """§11: an ack (in an ACK frame or carried) covers every sq <= upto: forget those frames."""
        self.peer_acked = max(self.peer_acked, upto)
        covered = [s for s in self.unacked if s <= upto]  # cumulative
        for sq in covered:
            del self.unacked[sq]
        return len(covered)

    async def handle(self, message: bytes) -> None:
        v = self.rx.receive(message)
        if v.stray_ack:
            self.stray_acks_in += 1
        if v.carried is not None:
            # §11 piggyback: "exactly what ACK {"ack": …} would", whatever the frame then turns out
            # to be (a duplicate, ignored, or answered with an ERROR).
            self.carried_in += 1
            released = self.release(v.carried)
            self.released_by_carried += released
            if released and not self.unacked:
                self.emptied_by_carried += 1
        if v.ack:
            if v.action == "drop":
                self.duplicates += 1
                self._dup_seen = True  # §11: a duplicate is "dropped (but still acknowledged)"
            self.schedule_ack()
        if v.action == "fatal":
            self.violations.append(f"fatal from server frame: {v.code} {v.message}")
            await self.send_error(0, v.code or E_BAD_FRAME, v.message)  # never RELIABLE
            await self.ws.close(v.close or 4400, v.message[:100])
            return
        if v.action == "error":
            self.violations.append(f"server frame answered with ERROR {v.code}: {v.message}")
            await self.send_error(v.rid, v.code or E_BAD_FRAME, v.message, reliable=v.error_reliable)
            if v.code == E_TOO_LARGE and v.rid in self.incoming_tasks:
                self.incoming_tasks[v.rid].cancel()  # rule 4: abort the sender's request there
            return
        if v.action in ("drop", "ignore"):
            if v.action == "ignore":
                log(f"  (ignored {type_name(v.frame.type)} on request {v.frame.rid})")
            return
        frame, p = v.frame, v.payload
        assert frame is not None
        t = frame.type
        if t in LEAN_KEYS and self.leaning:
            raw = decode_payload(self.codec, frame.payload)
            if isinstance(raw, dict) and not any(k in raw for k in ("id", "seq", "result", "metrics")):
                self.lean_in += 1
        if t == ACK:
            self.acks_received += 1
            self.release(int(p["ack"]))
        elif t == PING:
            self.pings_received += 1
            await self.send(PONG, 0, {"t": p.get("t") if p.get("t") is not None else 0})  # §16
        elif t == PONG:
            t_echo = p.get("t", 0)
            sent = self.pings.get(t_echo)
            self.pongs.append({"t": t_echo, "matched": sent is not None, "rttMs": None if sent is None else round((time.monotonic() - sent) * 1000, 2)})
        elif t == TOOL_DEF:
            # §17: first delete `removed`, then add or replace `tools` by name.
            for name in p.get("removed") or []:
                self.server_tools.pop(name, None)
            for tool in p.get("tools") or []:
                self.server_tools[tool["name"]] = tool
                self.announced.append(tool)
            if not frame.reliable:
                self.violations.append("TOOL_DEF without RELIABLE (§5: always RELIABLE)")
            log(f"TOOL_DEF: +{[x['name'] for x in p.get('tools') or []]} -{p.get('removed') or []}")
            self.tooldef_event.set()
        elif t == MESSAGE:
            if p["id"] not in self.seen_message_ids:  # §17: receivers drop repeated ids
                self.seen_message_ids.add(p["id"])
                self.messages.append(p)
        elif t == GOAWAY:
            # §17: close with 1001 (not 1000) and reconnect; this scenario does not expect one.
            self.goaway = p
            self.violations.append(f"unexpected GOAWAY {p}")
            await self.ws.close(1001, "goaway")
        elif t == INVOKE:
            self.rx.incoming.add(frame.rid)
            self.incoming_reliable[frame.rid] = frame.reliable
            self.incoming_tasks[frame.rid] = asyncio.ensure_future(self.serve(frame, p))
        elif t == INTERRUPT:
            task = self.incoming_tasks.get(frame.rid)
            if task is not None:
                task.cancel()  # serve() turns the cancellation into ERROR 499 (§14)
        elif t == ERROR and frame.rid == 0:
            self.violations.append(f"connection-level ERROR from server: {p}")
        elif t in (STREAM, COMPLETE, ERROR):
            self.on_request_frame(frame, p)

    def on_request_frame(self, frame: Frame, p: dict) -> None:
        call = self.calls.get(frame.rid)
        if call is None:
            return
        if frame.reliable != call.reliable:  # §5 "as the INVOKE"
            call.flags_ok = False
        if frame.type == STREAM:
            seq = int(p["seq"])
            if seq < call.next_seq:  # §10: lower seq = duplicate, dropped; gaps are accepted
                return
            call.next_seq = seq + 1
            call.seqs.append(seq)
            call.chunks.append(p.get("data"))
            data = p.get("data")
            log(f"  [{call.tool} #{frame.rid} seq {seq}] {data!r}")
            return
        # COMPLETE or ERROR: the terminal frame; the request id is free again (§8).
        if frame.type == COMPLETE and not call.asked_metrics and p.get("metrics") is None:
            self.metrics_unasked += 1  # §6 lean envelope: not asked, not sent
        call.terminals += 1
        del self.calls[frame.rid]
        self.rx.outgoing.discard(frame.rid)
        if not call.done.done():
            call.done.set_result(("complete" if frame.type == COMPLETE else "error", p))

    # -- calling (§10, §11) ----------------------------------------------------------------

    def alloc_rid(self) -> int:
        """§8: count upward from 1, wrap at 0x7FFF, skip ids whose request has not ended."""
        for _ in range(CLIENT_HALF[1]):
            rid = self.next_rid
            self.next_rid = CLIENT_HALF[0] if rid >= CLIENT_HALF[1] else rid + 1
            if rid not in self.calls:
                return rid
        raise RuntimeError("all request ids in use")

    async def invoke(self, tool: str, args: Any, dl: int = 1, msg_id: Optional[str] = None, metrics: bool = False) -> Call:
        if len(self.calls) >= int(self.reply["maxInflight"]):  # §15.2
            raise RuntimeError("maxInflight reached")
        rid = self.alloc_rid()
        call = Call(rid, msg_id or new_ulid(), tool, dl)
        self.calls[rid] = call
        self.rx.outgoing.add(rid)
        payload: dict[str, Any] = {"id": call.msg_id, "tool": tool, "args": args}
        if dl != 1:
            payload["dl"] = dl  # §6: dl defaults to 1; the reference sender leaves it out then
        call.asked_metrics = metrics or not self.leaning  # §6: the long form always gets metrics
        if metrics and self.leaning:
            payload["m"] = True  # §6 lean INVOKE: the COMPLETE must carry metrics
        # §6/§11: the frame MUST be RELIABLE exactly when dl is 1 or 2.
        await self.send(INVOKE, rid, payload, reliable=call.reliable)
        log(f"INVOKE #{rid} {tool} {json.dumps(args)} dl={dl} id={call.msg_id}")
        return call

    async def finish(self, call: Call, timeout: float = 20) -> tuple[str, dict]:
        try:
            return await asyncio.wait_for(asyncio.shield(call.done), timeout)
        except asyncio.TimeoutError:
            return ("timeout", {})

    # -- serving the server's calls (server -> client INVOKE) ------------------------------

    async def serve(self, frame: Frame, p: dict) -> None:
        rid, reliable = frame.rid, frame.reliable
        started, cpu0 = time.monotonic(), time.process_time()
        try:
            args = p.get("args") or {}
            log(f"server INVOKE #{rid:#06x} {p['tool']} {json.dumps(args)} reliable={reliable}")
            if p["tool"] != "clarify":  # unreachable: Receiver already answered 404
                raise RuntimeError("unknown tool")
            options = args["options"]
            answer = options[0] if options else ""
            self.clarify_calls.append({"question": args.get("question"), "options": options, "answer": answer, "reliable": reliable})
            log(f"  clarify: {args.get('question')!r} -> {answer!r}")
            # §10: the terminal frame is COMPLETE {result, metrics}; §5: RELIABLE as the INVOKE.
            metrics = {
                "durationMs": round((time.monotonic() - started) * 1000, 3),
                "cpuMs": round((time.process_time() - cpu0) * 1000, 3),
                "chunks": 0,
            }
            # §6 lean envelope: a lean INVOKE gets metrics only when it asked (m: true).
            wanted = not p.get("_lean") or p.get("m") is True
            await self.send(COMPLETE, rid, {"result": answer, "metrics": metrics} if wanted else {"result": answer}, reliable=reliable)
        except asyncio.CancelledError:
            # §14: an interrupted request still ends with exactly one terminal frame: ERROR 499.
            try:
                await self.send_error(rid, E_INTERRUPTED, "interrupted by caller", reliable=reliable)
            except websockets.ConnectionClosed:
                pass
        except Exception as exc:  # §10.6: an ordinary exception becomes ERROR 500
            await self.send_error(rid, E_HANDLER, str(exc), reliable=reliable)
        finally:
            self.rx.incoming.discard(rid)
            self.incoming_tasks.pop(rid, None)
            self.incoming_reliable.pop(rid, None)

    # -- heartbeats (§16) ------------------------------------------------------------------

    async def heartbeat(self) -> None:
        if self.hb <= 0:
            return
        interval = self.hb / 1000
        while not self.closed.is_set():
            t = float(int(time.time() * 1000))  # ms since the epoch
            self.pings[t] = time.monotonic()
            try:
                await self.send(PING, 0, {"t": t})
            except websockets.ConnectionClosed:
                return
            try:
                await asyncio.wait_for(self.closed.wait(), interval)
                return
            except asyncio.TimeoutError:
                pass
            if time.monotonic() - self.last_heard > 2.5 * interval:
                self.violations.append("heartbeat timeout")
                await self.ws.close(4504, "heartbeat timeout")  # §16, §20
                return


# ---------------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------------


async def scenario(args: argparse.Namespace) -> dict:
    summary: dict[str, Any] = {"ok": False, "codec": args.codec}
    failures: list[str] = []

    def check(cond: bool, what: str) -> bool:
        if not cond:
            failures.append(what)
            log(f"CHECK FAILED: {what}")
        return cond

    peer = Peer(args.url, args.codec, args.token, args.token_in_hello, args.hb, args.batch, args.piggyback, args.lean)
    try:
        await peer.connect()
    except HandshakeRefused as exc:
        summary.update(
            handshake_error={"code": exc.code, "message": exc.message, "close": exc.close, "http": exc.http},
            failures=["handshake refused"],
        )
        return summary
    reply = peer.reply
    summary["agent"] = reply["agent"]["name"]
    summary["agent_version"] = reply["agent"].get("version")
    summary["tools"] = [t["name"] for t in reply["agent"]["tools"]]
    summary["session"] = {k: reply.get(k) for k in ("sid", "codec", "hb", "maxFrame", "maxInflight", "ns", "resumed")}
    log(f"HELLO reply: agent {reply['agent']['name']} {reply['agent'].get('version', '')} codec={reply['codec']} hb={reply['hb']} sid={reply['sid']}")
    for t in reply["agent"]["tools"]:
        log(f"  tool {t['name']}: {t.get('description', '')}  schema={json.dumps(t.get('inputSchema'))}")
    check(bool(re.fullmatch(r"[0-9a-f]{48}", reply["rt"])), "rt is 48 lowercase hex characters (§6)")
    check(reply.get("resumed") in (None, False), "a new session is not resumed")
    check(reply["hb"] == min(args.hb, 30000) or args.hb == 0, "hb is the smaller proposal (§7.3)")
    initial_tools = set(summary["tools"])
    check("research" in initial_tools, "the agent serves `research`")

    reader = asyncio.ensure_future(peer.reader())
    heart = asyncio.ensure_future(peer.heartbeat())

    try:
        # 2. research "jaguar": stream, clarify (server -> client INVOKE), COMPLETE.
        call = await peer.invoke("research", {"topic": "jaguar"}, metrics=True)
        kind, result = await peer.finish(call, 30)
        check(kind == "complete", f"research(jaguar) ends with COMPLETE (got {kind} {result})")
        metrics = result.get("metrics") or {}
        summary["chunks"] = len(call.chunks)
        summary["clarified"] = len(peer.clarify_calls) >= 1
        summary["clarify"] = peer.clarify_calls[0] if peer.clarify_calls else None
        summary["complete"] = {"result": result.get("result"), "metrics": metrics}
        check(summary["clarified"], "the agent asked `clarify` mid-stream")
        check(len(call.chunks) > 0, "research streamed chunks")
        check(call.seqs == list(range(len(call.seqs))), "STREAM seq counts 0, 1, 2, ... (§6)")
        check(call.flags_ok, "frames of a RELIABLE request are RELIABLE (§5)")
        check(all(k in metrics for k in ("durationMs", "cpuMs", "chunks")), "COMPLETE carries durationMs, cpuMs, chunks (§6)")
        check(metrics.get("chunks") == len(call.chunks), f"metrics.chunks ({metrics.get('chunks')}) equals STREAM frames received ({len(call.chunks)})")
        if peer.clarify_calls:
            c = peer.clarify_calls[0]
            check(isinstance(c["options"], list) and len(c["options"]) > 0, "clarify offered options")

        # 3. the tool announced mid-session by TOOL_DEF (§17).
        if not peer.announced:
            try:
                await asyncio.wait_for(peer.tooldef_event.wait(), 5)
            except asyncio.TimeoutError:
                pass
        new_tools = [t for t in peer.announced if t["name"] not in initial_tools]
        check(bool(new_tools), "a TOOL_DEF announced a new tool")
        if new_tools:
            tool = new_tools[0]
            summary["announced"] = tool["name"]
            summary["announced_tool"] = tool
            a_args = sample_args(tool.get("inputSchema", {"type": "object"}))
            summary["announced_args"] = a_args
            acall = await peer.invoke(tool["name"], a_args)
            akind, ares = await peer.finish(acall, 20)
            check(akind == "complete", f"announced tool {tool['name']} ends with COMPLETE (got {akind} {ares})")
            summary["announced_result"] = ares.get("result")
            summary["announced_chunks"] = len(acall.chunks)
            summary["announced_metrics"] = ares.get("metrics")

        # 4a. at-most-once (§11 dl 0): not RELIABLE, no sq.
        sq_before = peer.sq
        mcall = await peer.invoke("research", {"topic": "websockets"}, dl=0)
        check(peer.sq == sq_before, "an at-most-once INVOKE is not RELIABLE and uses no sq (§11)")
        mkind, mres = await peer.finish(mcall, 30)
        check(mkind == "complete", f"at-most-once research ends with COMPLETE (got {mkind} {mres})")
        check(mcall.flags_ok, "frames of an at-most-once request are not RELIABLE (§11)")
        if peer.leaning:
            check(mres.get("metrics") is None, "a lean INVOKE without m gets a COMPLETE without metrics (§6)")
        summary["at_most_once"] = {"kind": mkind, "chunks": len(mcall.chunks), "result": mres.get("result"), "metrics": mres.get("metrics")}

        # 4b. exactly-once (§13): the same message id twice is answered from the record.
        eid = new_ulid()
        e1 = await peer.invoke("research", {"topic": "msgpack"}, dl=2, msg_id=eid, metrics=True)
        e1k, e1r = await peer.finish(e1, 30)
        e2 = await peer.invoke("research", {"topic": "msgpack"}, dl=2, msg_id=eid, metrics=True)
        e2k, e2r = await peer.finish(e2, 30)
        check(e1k == "complete" and e2k == "complete", f"exactly-once calls complete ({e1k}, {e2k})")
        check(e1r.get("result") == e2r.get("result"), "exactly-once repeat returns the recorded result (§13)")
        check(e1.chunks == e2.chunks, "exactly-once repeat replays the recorded chunks (§13)")
        # §13.2: the repeat is answered from the record (the handler does not run again), so
        # its metrics are the recorded ones: the same wall time as the first run.
        check(
            (e1r.get("metrics") or {}).get("durationMs") == (e2r.get("metrics") or {}).get("durationMs"),
            "exactly-once repeat is the recorded outcome, not a second run (§13)",
        )
        summary["exactly_once"] = {
            "first": {"chunks": len(e1.chunks), "metrics": e1r.get("metrics")},
            "repeat": {"chunks": len(e2.chunks), "metrics": e2r.get("metrics")},
            "same_result": e1r.get("result") == e2r.get("result"),
            "repeat_has_cpuMs": "cpuMs" in (e2r.get("metrics") or {}),
        }

        # 4c. a call that fails: research with an empty topic.
        rschema = peer.server_tools.get("research", {}).get("inputSchema", {})
        ecall = await peer.invoke("research", {"topic": ""})
        ekind, eres = await peer.finish(ecall, 30)
        check(ekind == "error", f"research('') ends with ERROR (got {ekind} {eres})")
        summary["error_code"] = eres.get("code")
        summary["error_message"] = eres.get("message")
        if schema_errors(rschema, {"topic": ""}):  # §6/§10.5: schema failure -> 422
            check(eres.get("code") == E_ARGS, f"schema violation answered with 422 (got {eres.get('code')})")

        # 4d. (--calls N) N at-least-once calls of the demo's `ping`: each sends one RELIABLE
        # INVOKE and gets one RELIABLE COMPLETE back, the traffic for which §11 carries acks on
        # frames that go out anyway. They go in waves of --inflight K (default 1: one after the
        # other); the next wave starts when the whole previous one has completed and, for K > 1,
        # once the server has acknowledged everything we sent, so that each wave starts afresh.
        if args.calls > 0:
            ptool = peer.server_tools.get("ping")
            if check(ptool is not None, "the agent serves `ping` (§26)"):
                p_args = sample_args((ptool or {}).get("inputSchema", {"type": "object"}))
                # The demo's `ping` "replies with what it was sent" (its description): give each call
                # its own number, so a result that went to the wrong call would show.
                p_args = p_args if isinstance(p_args, dict) else {}
                wave_size = max(1, min(args.inflight, int(peer.reply["maxInflight"])))
                made = echoed = 0
                t0 = time.monotonic()
                for first in range(0, args.calls, wave_size):
                    if wave_size > 1:
                        deadline = time.monotonic() + 1
                        while peer.unacked and time.monotonic() < deadline:
                            await asyncio.sleep(0.002)
                    wave = []
                    for i in range(first, min(first + wave_size, args.calls)):
                        sent = {**p_args, "n": i}
                        wave.append((sent, await peer.invoke("ping", sent)))
                    outcomes = [(sent, await peer.finish(pcall, 20)) for sent, pcall in wave]
                    for sent, (pkind, pres) in outcomes:
                        if check(pkind == "complete", f"ping ends with COMPLETE (got {pkind} {pres})"):
                            made += 1
                            echoed += pres.get("result") == sent
                    if made < first + len(wave):
                        break
                check(made == args.calls and echoed == made, f"every ping returned what it was sent ({echoed} of {made} of {args.calls})")
                elapsed_ms = (time.monotonic() - t0) * 1000
                summary["calls"] = {"made": made, "echoed": echoed, "inflight": wave_size, "ms_per_call": round(elapsed_ms / max(made, 1), 3)}

        # 6. resume (§12): drop the connection (1001, not 1000, so the session survives, §20) in
        # the middle of a reliable stream, reconnect with resume, and get the rest exactly once.
        if args.resume:
            rcall = await peer.invoke("research", {"topic": "resumption"}, metrics=True)
            deadline = time.monotonic() + 10
            while len(rcall.chunks) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            before = len(rcall.chunks)
            heart.cancel()
            await peer.ws.close(1001, "dropping on purpose")
            await asyncio.wait_for(reader, 5)
            log(f"-- connection dropped after {before} chunks (last sq {peer.rx.last_sq}); the handler goes on at the server")
            await asyncio.sleep(0.5)
            dup_before = peer.duplicates
            try:
                await peer.connect(resume=True)
                resumed = True
            except HandshakeRefused as exc:
                resumed = False
                check(False, f"resume: {exc.message}")
            reader = asyncio.ensure_future(peer.reader())
            heart = asyncio.ensure_future(peer.heartbeat())
            rr = peer.resume_reply
            log(f"-- resumed={rr.get('resumed')} last={rr.get('last')} sid={rr.get('sid')}")
            if resumed:
                rkind, rres = await peer.finish(rcall, 30)
                rmetrics = rres.get("metrics") or {}
                check(rr.get("sid") == peer.reply["sid"] and rr.get("rt") == peer.reply["rt"], "resume keeps sid and rt (§12)")
                check(rr.get("last") == peer.sq, f"reply.last ({rr.get('last')}) is our highest sq ({peer.sq}) (§12 server 3)")
                check(rkind == "complete", f"resumed call completes (got {rkind} {rres})")
                check(rcall.seqs == list(range(len(rcall.seqs))), "no chunk lost or repeated across the resume")
                check(rmetrics.get("chunks") == len(rcall.chunks), "metrics.chunks matches the chunks received across the resume")
                check(peer.duplicates == dup_before, f"nothing replayed twice ({peer.duplicates - dup_before} duplicates by sq)")
                summary["resume"] = {
                    "resumed": rr.get("resumed"),
                    "chunks_before_drop": before,
                    "chunks": len(rcall.chunks),
                    "metrics": rmetrics,
                    "duplicates": peer.duplicates - dup_before,
                    "we_replayed": peer.replayed_by_us,
                }

        # Heartbeat: with a short hb at least one PING went out and was answered.
        if peer.hb and peer.hb < 5000:
            deadline = time.monotonic() + peer.hb / 1000 * 2
            while not peer.pongs and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        summary["pings_sent"] = len(peer.pings)
        summary["pongs"] = len(peer.pongs)
        if peer.pings:
            check(bool(peer.pongs) and all(p["matched"] for p in peer.pongs), "every PONG echoes the t of a PING (§16)")

        # ACKs: the server acknowledges our RELIABLE frames (§11); we wait a little for the last.
        await peer.flush_ack()
        deadline = time.monotonic() + 2
        while peer.unacked and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        summary["acks"] = {
            "received": peer.acks_received,
            "sent": peer.acks_sent,
            "our_last_sq": peer.sq,
            "server_acked": peer.peer_acked,
            "server_last_sq": peer.rx.last_sq,
            "we_acked": peer.ack_sent_upto,
        }
        check(not peer.unacked, f"the server acknowledged all our RELIABLE frames (unacked: {sorted(peer.unacked)})")
        check(peer.ack_sent_upto == peer.rx.last_sq, "we acknowledged every RELIABLE frame of the server")
    finally:
        # 5. close cleanly: 1000 ends the session (§12 server 2, §20).
        heart.cancel()
        if not peer.closed.is_set():
            await peer.ws.close(1000, "done")
        await asyncio.wait_for(reader, 5)
    summary["close_code"] = peer.ws.close_code
    check(peer.ws.close_code == 1000, f"closed with 1000 (got {peer.ws.close_code})")
    summary["messages"] = len(peer.messages)
    summary["violations"] = peer.violations
    check(not peer.violations, f"no protocol violations ({peer.violations})")
    if args.batch:
        check(peer.batching, "the server agreed to batch (§2, §7.3)")
    if args.piggyback:
        check(peer.piggybacking, "the server agreed to piggyback (§7.3, §11)")
    summary["piggyback"] = {
        "agreed": peer.piggybacking,
        "acks_in": peer.acks_received,  # standalone ACK frames from the server
        "carried_in": peer.carried_in,  # server frames that carried `ack`
        "released_by_carried": peer.released_by_carried,
        "emptied_by_carried": peer.emptied_by_carried,
        "stray_acks_in": peer.stray_acks_in,
        "acks_out": peer.acks_sent,  # standalone ACK frames we sent
        "carried_out": peer.carried_out,  # our frames that carried `ack`
    }
    if args.lean:
        check(peer.leaning, "the server agreed to the lean envelope (§6, §7.3)")
        check(peer.lean_in > 0 and peer.lean_out > 0, f"lean frames went both ways ({peer.lean_out} out, {peer.lean_in} in)")
    summary["lean"] = {"agreed": peer.leaning, "out": peer.lean_out, "in": peer.lean_in, "complete_without_metrics": peer.metrics_unasked}
    summary["batching"] = {
        "agreed": peer.batching,
        "messages_in": peer.messages_in,
        "frames_in": peer.frames_in,
        "batches_in": peer.batches_in,
        "batches_out": peer.batches_out,
    }
    summary["failures"] = failures
    summary["ok"] = not failures
    return summary


# ---------------------------------------------------------------------------------------------
# --vectors mode
# ---------------------------------------------------------------------------------------------


def from_meaning(value: Any) -> Any:
    """test-vectors.json writes a MessagePack bin as {"$bin": hex}."""
    if isinstance(value, dict):
        if set(value) == {"$bin"} and isinstance(value["$bin"], str):
            return bytes.fromhex(value["$bin"])
        return {k: from_meaning(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_meaning(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Deep equality where numbers compare by value (float 64 holding an integer == integer, §4)
    but bools are not numbers and bytes are not strings."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def cut_batch(message: bytes) -> list[bytes]:
    """§2: the frames of one batched message, by their headers' payload lengths. Bytes that do
    not tile are passed on as they are, so the frame decoder refuses them (§18 rule 1)."""
    frames: list[bytes] = []
    at = 0
    while at < len(message):
        rest = len(message) - at
        length = int.from_bytes(message[at + 4:at + 8], "big") if rest >= 8 else -1
        if length < 0 or 8 + length > rest:
            frames.append(message[at:])
            break
        frames.append(message[at:at + 8 + length])
        at += 8 + length
    return frames


def run_vectors(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        vectors = json.load(fh)
    checks = 0
    mismatches: list[str] = []
    counts = {"valid": 0, "invalid": 0, "rejected": 0}

    def expect(cond: bool, name: str, what: str) -> None:
        nonlocal checks
        checks += 1
        if not cond:
            mismatches.append(f"{name}: {what}")

    search_tool: dict = {}
    for v in vectors:  # the tool the server of these vectors serves (from its HELLO reply)
        p = v.get("decoded", {}).get("payload")
        if v["kind"] == "valid" and isinstance(p, dict) and isinstance(p.get("agent"), dict):
            for t in p["agent"].get("tools", []):
                search_tool[t["name"]] = t

    # §27: a batch vector is one message of several frames; each frame is then checked as a valid one.
    expanded: list[dict] = []
    for v in vectors:
        if v["kind"] != "batch":
            expanded.append(v)
            continue
        counts["batch"] = counts.get("batch", 0) + 1
        parts = cut_batch(bytes.fromhex(v["hex"]))
        expect(len(parts) == len(v["frames"]), v["name"], f"cut into {len(parts)} frames, documented {len(v['frames'])}")
        for i, (part, meaning) in enumerate(zip(parts, v["frames"])):
            expanded.append({"kind": "valid", "name": f"{v['name']} [frame {i}]", "hex": part.hex(), "codec": v["codec"], "decoded": meaning})

    for v in expanded:
        name, kind, data = v["name"], v["kind"], bytes.fromhex(v["hex"])
        if not name.endswith("]") or " [frame " not in name:
            counts[kind] = counts.get(kind, 0) + 1
        codec = v.get("codec")
        if kind == "invalid":
            # Not frames: the frame decoder must refuse them (§3, §18 rule 1).
            try:
                decode_frame(data)
                expect(False, name, "decoder accepted a non-frame")
            except FrameError as exc:
                expect(True, name, "")
                if v.get("error", {}).get("message"):
                    expect(str(exc) == v["error"]["message"], name, f"error text {str(exc)!r} != {v['error']['message']!r}")
            verdict = Receiver("server", "msgpack").receive(data)
            peer = v.get("peer", {})
            expect((verdict.code, verdict.rid, verdict.close) == (peer.get("error"), peer.get("requestId"), peer.get("close")), name, f"reaction {(verdict.code, verdict.rid, verdict.close)} != {peer}")
            continue

        meaning = v["decoded"]
        # Decode the header and compare with the documented meaning.
        try:
            frame = decode_frame(data)
        except FrameError as exc:
            expect(False, name, f"decoder refused it: {exc}")
            continue
        got_header = {
            "version": frame.version,
            "type": frame.type,
            "typeName": type_name(frame.type),
            "flags": frame.flags,
            "flagNames": flag_names(frame.flags),
            "requestId": frame.rid,
            "payloadLength": len(frame.payload),
        }
        for key, value in got_header.items():
            expect(meaning.get(key) == value, name, f"{key}: decoded {value!r}, documented {meaning.get(key)!r}")
        # Decode the payload: HELLO is always JSON (§4), everything else uses the vector's codec.
        pcodec = "json" if frame.type == HELLO else codec
        try:
            payload: Any = decode_payload(pcodec, frame.payload)
            decoded_ok = True
        except PayloadError:
            payload, decoded_ok = None, False
        if "payload" in meaning:
            expect(decoded_ok and same(payload, from_meaning(meaning["payload"])), name, f"payload decoded {payload!r}")
            # Encode the meaning back and compare the bytes.
            body = json_dumps(from_meaning(meaning["payload"])) if pcodec == "json" else encode_payload(pcodec, from_meaning(meaning["payload"]))
            again = encode_frame(meaning["type"], meaning["flags"], meaning["requestId"], body, meaning["version"])
            expect(again.hex() == v["hex"], name, f"re-encoded {again.hex()} != {v['hex']}")
        else:
            # The vectors leave `payload` out exactly when it does not decode.
            expect(not decoded_ok, name, f"payload should not decode but gave {payload!r}")

        if kind == "valid":
            # A valid frame must also pass the field rules (§6, §11).
            if frame.type == HELLO:
                fields = HELLO_REPLY_FIELDS if frame.flags & FLAG_REPLY else HELLO_FIELDS
                problem = field_problem(payload, fields)
            else:
                # §27: a `lean` vector is in the lean form (§6), read as a lean-agreed receiver reads it.
                checked = to_long(frame.type, payload) if v.get("lean") else payload
                problem = field_problem(checked, PAYLOAD_FIELDS.get(frame.type, {}))
                if v.get("lean") and frame.type == INVOKE and isinstance(checked, dict) and not checked.get("_lean"):
                    problem = "a lean vector whose INVOKE is in the long form"
                if frame.reliable and not valid_sq(payload):
                    problem = "RELIABLE without sq"
                if frame.reliable and frame.type in (ACK, PING, PONG, GOAWAY):
                    problem = "RELIABLE on a frame that is never RELIABLE (§5)"
                if frame.type == TOOL_DEF and not frame.reliable:
                    problem = "TOOL_DEF must be RELIABLE (§5)"
            expect(problem is None, name, f"valid vector fails validation: {problem}")
            continue

        # kind == "rejected": the documented reaction of a receiving peer.
        peer = v["peer"]
        if peer["stage"] == "handshake":
            got = server_check_hello(data, accepted_tokens={"secret-token"})
            expect(got is not None and got == (peer["error"], peer["close"]) and peer["requestId"] == 0, name, f"handshake reaction {got} != {peer}")
        else:
            # A server in session (it serves the tools of the vectors' HELLO reply): which frames
            # arrive from a client is the natural reading (e.g. "INVOKE on a request id from the
            # server's half" is rejected by the server).
            rx = Receiver("server", codec, tools=search_tool, lean=v.get("lean") is True)
            verdict = rx.receive(data)
            got_r = (verdict.code, verdict.rid, verdict.close)
            expect(verdict.action in ("fatal", "error") and got_r == (peer["error"], peer["requestId"], peer["close"]), name, f"reaction {verdict.action} {got_r} ({verdict.message}) != {peer}")

    print(f"vectors: {len(vectors)} ({counts}), checks: {checks}, mismatches: {len(mismatches)}")
    for m in mismatches:
        print(f"  MISMATCH {m}")
    print(json.dumps({"ok": not mismatches, "vectors": len(vectors), "counts": counts, "checks": checks, "mismatches": mismatches}))
    return 0 if not mismatches else 1


# ---------------------------------------------------------------------------------------------
# --probe mode: send the "invalid" and "rejected" vectors to a live server and compare its
# reaction with the one the vectors document (`peer`: error code, request id, close code).
# ---------------------------------------------------------------------------------------------

# Vectors whose documented reaction depends on the tools of the server the vectors were made
# with (it serves `search` {q: string}); the demo agent does not serve `search`.
TOOL_DEPENDENT = {"INVOKE with arguments that fail the tool's schema"}


async def probe_one(url: str, token: Optional[str], v: dict) -> tuple[Optional[tuple], str]:
    """Returns ((error code, request id, close code or None), detail)."""
    stage = v.get("peer", {}).get("stage", "session")
    codec = v.get("codec") or "msgpack"
    ws = await websockets.connect(url, subprotocols=[SUBPROTOCOL], ping_interval=None, compression=None, open_timeout=10)
    try:
        if stage == "session":
            hello: dict[str, Any] = {"v": [1], "codecs": [codec], "maxFrame": DEFAULT_MAX_FRAME, "hb": 30000, "maxInflight": 16, "tools": []}
            if token:
                hello["token"] = token  # §6: token in HELLO (no Authorization header here)
            if v.get("lean"):
                hello["lean"] = True  # §27: a `lean` vector is sent after a handshake that agreed to it
            await ws.send(encode_frame(HELLO, 0, 0, json_dumps(hello)))
            reply = decode_frame(await asyncio.wait_for(ws.recv(), 10))
            if reply.type != HELLO:
                return None, f"handshake failed: {json_loads(reply.payload)}"
        await ws.send(bytes.fromhex(v["hex"]))
        # Read until an ERROR arrives (skipping ACKs etc.).
        err: Optional[tuple[int, int]] = None
        while err is None:
            try:
                message = await asyncio.wait_for(ws.recv(), 3)
            except asyncio.TimeoutError:
                return None, "no ERROR within 3 s"
            except websockets.ConnectionClosed:
                return (None, None, ws.close_code), "closed without an ERROR"
            frame = decode_frame(message)
            if frame.type == ERROR:
                pcodec = "json" if stage == "handshake" else codec
                p = decode_payload(pcodec, frame.payload)
                err = (int(p["code"]), frame.rid)
                detail = f"{p.get('message')!r} flags={frame.flags}"
        # Then: is the connection closed (and with what), or still open?
        try:
            await ws.send(encode_frame(PING, 0, 0, encode_payload(codec, {"t": 7})))
            while True:
                message = await asyncio.wait_for(ws.recv(), 3)
                if decode_frame(message).type == PONG:
                    return (err[0], err[1], None), detail  # still open: it answered a PING
        except websockets.ConnectionClosed:
            return (err[0], err[1], ws.close_code), detail
        except asyncio.TimeoutError:
            return (err[0], err[1], "no PONG, not closed"), detail
    finally:
        await ws.close(1000)


async def run_probe(path: str, url: str, token: Optional[str]) -> int:
    with open(path, encoding="utf-8") as fh:
        vectors = json.load(fh)
    results = []
    mismatches = []
    skipped = []
    for v in vectors:
        if v["kind"] not in ("invalid", "rejected"):
            continue
        peer = v["peer"]
        expected = (peer["error"], peer["requestId"], peer["close"])
        if v["name"] in TOOL_DEPENDENT:
            skipped.append(f"{v['name']} (needs the vectors' `search` tool)")
            continue
        if peer["error"] == E_UNAUTHORIZED and not token:
            skipped.append(f"{v['name']} (needs a server that requires a token: use --token)")
            continue
        try:
            got, detail = await probe_one(url, token, v)
        except Exception as exc:
            got, detail = None, f"{type(exc).__name__}: {exc}"
        ok = got == expected
        results.append({"name": v["name"], "expected": expected, "got": got, "ok": ok})
        print(f"{'ok  ' if ok else 'DIFF'} {v['name']}: expected {expected} got {got} {detail}")
        if not ok:
            mismatches.append({"name": v["name"], "expected": expected, "got": got, "detail": detail})
    for s in skipped:
        print(f"skip {s}")
    print(json.dumps({"ok": not mismatches, "probed": len(results), "skipped": skipped, "mismatches": mismatches}, default=str))
    return 0 if not mismatches else 1


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", nargs="?", help="ws://host:port/asp")
    ap.add_argument("--vectors", metavar="FILE", help="check docs/test-vectors.json instead of connecting")
    ap.add_argument("--token", help="bearer token (Authorization header at the upgrade, §2)")
    ap.add_argument("--token-in-hello", action="store_true", help="send the token in HELLO instead (§6)")
    ap.add_argument("--codec", choices=["msgpack", "json"], default="msgpack")
    ap.add_argument("--no-resume", dest="resume", action="store_false", help="skip the drop-and-resume step")
    ap.add_argument("--batch", action="store_true", help="offer batch in HELLO: cut received messages into frames, send replays as one (§2)")
    ap.add_argument("--piggyback", action="store_true", help="offer piggyback in HELLO: acks carried by other frames, both ways (§11)")
    ap.add_argument("--lean", action="store_true", help="offer lean in HELLO: the lean form of INVOKE, STREAM, COMPLETE (§6)")
    ap.add_argument("--calls", type=int, default=0, metavar="N", help="also make N at-least-once calls of `ping` (step 4d)")
    ap.add_argument("--inflight", type=int, default=1, metavar="K", help="with --calls: K calls at once, in waves (default 1: one after the other)")
    ap.add_argument("--hb", type=int, default=1000, help="heartbeat proposal in ms (small, so PING/PONG happen)")
    ap.add_argument("--probe", metavar="FILE", help="send the invalid/rejected vectors of FILE to the server at URL")
    args = ap.parse_args()
    if args.vectors:
        return run_vectors(args.vectors)
    if args.probe:
        if not args.url:
            ap.error("--probe needs a ws:// URL")
        return asyncio.run(run_probe(args.probe, args.url, args.token))
    if not args.url:
        ap.error("a ws:// URL or --vectors FILE is required")
    try:
        summary = asyncio.run(scenario(args))
    except Exception as exc:  # report, do not hide, anything unexpected
        summary = {"ok": False, "exception": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(summary, default=lambda o: o.hex() if isinstance(o, (bytes, bytearray)) else str(o)))
    return 0 if summary.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
