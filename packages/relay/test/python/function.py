"""A Relay mode function in Python, written from docs/relay.md alone (standard library only, JSON codec).

Serves an agent "py-agent" with tools: echo, count (streams), fail, remember/recall (connection state),
notify (uses the callback API), late (announces a tool with a TOOL_DEF frame).
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
]


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
        if not self.path.endswith("/invoke"):
            return self.error(404, "no such endpoint")
        raw = self.body()
        if not signature_ok(self.headers, "POST", "invoke", raw):
            return self.error(401, "bad signature")
        if self.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return self.error(415, "JSON only")
        try:
            req = json.loads(raw)
            if req.get("v") != 1:
                raise ValueError("v must be 1")
            tool, args = req["tool"], req.get("args") or {}
        except Exception as e:  # noqa: BLE001
            return self.error(400, f"bad body: {e}")
        self.send_response(200)
        self.send_header("content-type", FRAMES)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        started = time.monotonic()

        def write(data):
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def metrics(chunks):
            return {"durationMs": (time.monotonic() - started) * 1000, "cpuMs": 0.25, "chunks": chunks}

        if tool == "echo":
            write(frame(RESULT, {"result": args, "metrics": metrics(0)}))
        elif tool == "count":
            n = int(args["n"])
            for i in range(n):
                if i:
                    time.sleep(0.1)
                write(frame(CHUNK, i))
            write(frame(RESULT, {"result": {"total": n}, "metrics": metrics(n)}))
        elif tool == "fail":
            write(frame(ERROR, {"code": 418, "message": "short and stout", "data": {"from": "python"}}))
        elif tool == "remember":
            write(frame(STATE, {"state": json.dumps(args)}))
            write(frame(RESULT, {"result": "remembered", "metrics": metrics(0)}))
        elif tool == "recall":
            write(frame(RESULT, {"result": req.get("state"), "metrics": metrics(0)}))
        elif tool == "notify":
            cb = req["callback"]
            url = cb["url"] + "connections/" + req["cid"] + "/messages"
            data = json.dumps({"event": "from-python", "data": args}).encode()
            headers = {"authorization": "Bearer " + cb["token"], "content-type": "application/json"}
            # After the answer, from another thread, as a function would do later.
            def later():
                time.sleep(0.05)
                urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method="POST")).read()
            threading.Thread(target=later).start()
            write(frame(RESULT, {"result": "will notify", "metrics": metrics(0)}))
        elif tool == "late":
            write(frame(TOOL_DEF, {"tools": [{"name": "echo2", "description": "announced by Python"}], "removed": []}))
            write(frame(RESULT, {"result": "announced", "metrics": metrics(0)}))
        elif tool == "echo2":
            write(frame(RESULT, {"result": {"echo2": args}, "metrics": metrics(0)}))
        else:
            write(frame(ERROR, {"code": 404, "message": f"no tool {tool}"}))
        write(b"")  # last chunk of the chunked body


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
