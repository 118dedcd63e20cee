"""A Relay mode function in Python, written from docs/relay.md alone (standard library only, JSON codec).

Serves an agent "py-agent" with tools: echo, count (streams), fail, remember/recall (connection state),
notify (uses the callback API), late (announces a tool with a TOOL_DEF frame), runs (how many times
count's handler began, ended and was stopped, by message id).
An exactly-once call (dl 2) is a run that outlives its request (docs/relay.md §8): a later request with
the same principal and id follows it from its first frame, and POST cancel (§3.5) stops it.
Run: python3 function.py <secret>   -> prints "listening <port>" and serves on 127.0.0.1.
"""
import hashlib
import hmac
import json
import struct
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = sys.argv[1].encode()
FRAMES = "application/vnd.agentsocket.relay-frames"
CHUNK, CHUNK_BYTES, RESULT, ERROR, TOOL_DEF, STATE, KEEPALIVE = 1, 2, 3, 4, 5, 6, 7
TOOLS = [
    {"name": "echo", "inputSchema": {"type": "object"}},
    {"name": "count", "description": "streams 0..n-1, 100 ms apart", "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}},
    {"name": "fail", "inputSchema": {"type": "object"}},
    {"name": "remember", "inputSchema": {"type": "object"}},
    {"name": "recall", "inputSchema": {"type": "object"}},
    {"name": "notify", "inputSchema": {"type": "object"}},
    {"name": "late", "inputSchema": {"type": "object"}},
    {"name": "runs", "inputSchema": {"type": "object"}},
]
RUN_RETENTION_S = 60
MAX_KEPT_BYTES = 16 * 1024 * 1024


class Stopped(Exception):
    """The run was cancelled or passed its deadline: it ends with this ERROR frame."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


class Run:
    """Frames of one call. For an exactly-once call it is shared by every request that follows it."""

    def __init__(self, deadline, once):
        self.once = once  # exactly-once: not stopped when its request is dropped
        self.cond = threading.Condition()
        self.frames = []  # every frame written, KEEPALIVE excepted
        self.kept = 0
        self.overflowed = False
        self.done = False
        self.ended_at = 0.0
        self.followers = 0
        self.stop = None  # (code, message) once cancelled
        self.deadline = deadline  # ms since the epoch, or None

    def write(self, data):
        with self.cond:
            self.frames.append(data)
            self.kept += len(data)
            if self.kept > MAX_KEPT_BYTES:
                self.overflowed = True
            self.cond.notify_all()

    def finish(self):
        with self.cond:
            self.done = True
            self.ended_at = time.monotonic()
            self.cond.notify_all()

    def cancel(self, code, message):
        with self.cond:
            if self.stop is None and not self.done:
                self.stop = (code, message)
                self.cond.notify_all()

    def check(self):
        """Raises Stopped when the run must end early (cancel, or the deadline of the request that started it)."""
        if self.stop is not None:
            raise Stopped(*self.stop)
        if self.deadline is not None and time.time() * 1000 > self.deadline:
            raise Stopped(504, "the call passed its deadline")

    def sleep(self, seconds):
        """Waits, waking early when the run is cancelled; then checks it."""
        with self.cond:
            self.cond.wait_for(lambda: self.stop is not None, timeout=seconds)
        self.check()


RUNS = {}  # (principal or "", id) -> Run of an exactly-once call
RUNS_LOCK = threading.Lock()
COUNTS = {}  # message id -> {"begun", "ended", "stopped"} of count's handler


def frame(kind, payload=None):
    body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    return struct.pack(">BI", kind, len(body)) + body


def signature_ok(headers, method, endpoint, body):
    ts = headers.get("x-asp-timestamp")
    sig = headers.get("x-asp-signature", "")
    if ts is None or not ts.isdigit() or not sig.startswith("v1="):
        return False
    if abs(time.time() * 1000 - int(ts)) > 300_000:
        return False
    message = f"v1:{ts}:{method}:{endpoint}:".encode() + body
    expected = hmac.new(SECRET, message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, sig[3:])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def error(self, status, message):
        body = json.dumps({"error": {"code": status, "message": message}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("content-length", "0")))

    def do_GET(self):
        if not self.path.endswith("/tools"):
            return self.error(404, "no such endpoint")
        if not signature_ok(self.headers, "GET", "tools", b""):
            return self.error(401, "bad signature")
        body = json.dumps({"agent": {"name": "py-agent", "version": "0.1"}, "tools": TOOLS, "codecs": ["json"]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        endpoint = "invoke" if self.path.endswith("/invoke") else "cancel" if self.path.endswith("/cancel") else None
        if endpoint is None:
            return self.error(404, "no such endpoint")
        raw = self.body()
        if not signature_ok(self.headers, "POST", endpoint, raw):
            return self.error(401, "bad signature")
        if self.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return self.error(415, "JSON only")
        if endpoint == "cancel":
            return self.cancel(raw)
        try:
            req = json.loads(raw)
            if req.get("v") != 1:
                raise ValueError("v must be 1")
            tool, args = req["tool"], req.get("args") or {}
        except Exception as e:  # noqa: BLE001
            return self.error(400, f"bad body: {e}")
        if req.get("dl") != 2:
            run = Run(req.get("deadline"), once=False)
            run.followers = 1
            threading.Thread(target=call_tool, args=(run, req, tool, args), daemon=True).start()
            return self.follow(run)
        key = (req.get("principal") or "", req["id"])
        with RUNS_LOCK:
            now = time.monotonic()
            for k in [k for k, r in RUNS.items() if r.done and now - r.ended_at > RUN_RETENTION_S]:
                del RUNS[k]
            run = RUNS.get(key)
            started = run is None
            if started:
                run = RUNS[key] = Run(req.get("deadline"), once=True)
            with run.cond:
                run.followers += 1  # before the handler starts, so it writes STATE/TOOL_DEF as frames
        if started:
            # The run belongs to this process, not to the request: it goes on if the request is dropped.
            threading.Thread(target=call_tool, args=(run, req, tool, args), daemon=True).start()
        elif run.overflowed:
            with run.cond:
                run.followers -= 1
            return self.answer_error(503, f"message {req['id']} is running here, but its first frames were not kept")
        self.follow(run)

    def cancel(self, raw):
        try:
            req = json.loads(raw)
            if req.get("v") != 1 or not isinstance(req.get("id"), str):
                raise ValueError("v must be 1 and id a string")
        except Exception as e:  # noqa: BLE001
            return self.error(400, f"bad body: {e}")
        with RUNS_LOCK:
            run = RUNS.get((req.get("principal") or "", req["id"]))
        if run is not None:
            run.cancel(499, "the client interrupted the call")
        self.send_response(204)
        self.end_headers()

    def start_frames(self):
        self.send_response(200)
        self.send_header("content-type", FRAMES)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def answer_error(self, code, message):
        self.start_frames()
        self.chunk(frame(ERROR, {"code": code, "message": message}))
        self.chunk(b"")

    def follow(self, run):
        """Answers with every frame of the run from the first, then the rest as they come, to its end
        (the caller counted this request in run.followers)."""
        sent = 0
        try:
            self.start_frames()
            while True:
                with run.cond:
                    run.cond.wait_for(lambda: run.done or len(run.frames) > sent, timeout=1.0)
                    todo, done = run.frames[sent:], run.done
                if not todo and not done:
                    self.chunk(frame(KEEPALIVE))  # notices a request that was dropped
                for data in todo:
                    self.chunk(data)
                sent += len(todo)
                if done and sent == len(run.frames):
                    break
            self.chunk(b"")  # last chunk of the chunked body
        except OSError:
            self.close_connection = True
            if not run.once:  # at-most/at-least-once: a dropped request stops the handler (§4.3 rule 5)
                run.cancel(499, "the relay dropped the request")
        finally:
            with run.cond:
                run.followers -= 1


def callback(req, action, payload):
    cb = req.get("callback")
    if not cb:
        return
    url = cb["url"] + "connections/" + req["cid"] + "/" + action
    headers = {"authorization": "Bearer " + cb["token"], "content-type": "application/json"}
    urllib.request.urlopen(urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")).read()


def call_tool(run, req, tool, args):
    """Runs the tool's handler, writing its frames into the run, and ends it with one terminal frame."""
    started = time.monotonic()

    def write(kind, payload=None):
        if kind in (TOOL_DEF, STATE) and run.followers == 0:
            # No request reads the run now: the relay learns it through the callback API (§8 rule 5).
            try:
                callback(req, "tools" if kind == TOOL_DEF else "state", payload)
            except Exception:  # noqa: BLE001
                pass
        run.write(frame(kind, payload))

    def metrics(chunks):
        return {"durationMs": (time.monotonic() - started) * 1000, "cpuMs": 0.25, "chunks": chunks}

    try:
        run.check()
        if tool == "echo":
            write(RESULT, {"result": args, "metrics": metrics(0)})
        elif tool == "count":
            n = int(args["n"])
            ms = int(args.get("ms", 100))
            counts = COUNTS.setdefault(req["id"], {"begun": 0, "ended": 0, "stopped": 0})
            counts["begun"] += 1
            try:
                for i in range(n):
                    if i:
                        run.sleep(ms / 1000)
                    write(CHUNK, i)
                run.check()
            except Stopped:
                counts["stopped"] += 1
                raise
            counts["ended"] += 1
            write(RESULT, {"result": {"total": n}, "metrics": metrics(n)})
        elif tool == "runs":
            write(RESULT, {"result": COUNTS.get(args.get("id"), {"begun": 0, "ended": 0, "stopped": 0}), "metrics": metrics(0)})
        elif tool == "fail":
            write(ERROR, {"code": 418, "message": "short and stout", "data": {"from": "python"}})
        elif tool == "remember":
            write(STATE, {"state": json.dumps(args)})
            write(RESULT, {"result": "remembered", "metrics": metrics(0)})
        elif tool == "recall":
            write(RESULT, {"result": req.get("state"), "metrics": metrics(0)})
        elif tool == "notify":
            # After the answer, from another thread, as a function would do later.
            def later():
                time.sleep(0.05)
                callback(req, "messages", {"event": "from-python", "data": args})
            threading.Thread(target=later).start()
            write(RESULT, {"result": "will notify", "metrics": metrics(0)})
        elif tool == "late":
            write(TOOL_DEF, {"tools": [{"name": "echo2", "description": "announced by Python"}], "removed": []})
            write(RESULT, {"result": "announced", "metrics": metrics(0)})
        elif tool == "echo2":
            write(RESULT, {"result": {"echo2": args}, "metrics": metrics(0)})
        else:
            write(ERROR, {"code": 404, "message": f"no tool {tool}"})
    except Stopped as stop:
        run.write(frame(ERROR, {"code": stop.code, "message": stop.message, "metrics": metrics(0)}))
    except Exception as e:  # noqa: BLE001
        run.write(frame(ERROR, {"code": 500, "message": f"handler failed: {e}", "metrics": metrics(0)}))
    finally:
        run.finish()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
