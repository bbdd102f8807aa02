#!/usr/bin/env python3
"""promd.py [--port PORT] -- a scripted Prometheus query API for tests.

Listens on 127.0.0.1:PORT (0 picks a free port), prints "ready PORT" once
it listens, and serves until killed:

  POST /api/v1/query   form query=Q&time=T: a vector of one sample at time
                       T whose value is the one set for the text Q, or an
                       empty vector when none is set
  POST /_control       JSON {"values": {Q: number, ...}} replaces values
                       given; {"hold": true} keeps every answer back until
                       {"hold": false} (at most 30 s each, then answered)
  GET  /_state         {"queries": answered so far, "held": waiting now}

The test names each query by its plan key (the plan's PromQL is the key
itself), so what a gate judged can be told from what was served when.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
RELEASE = threading.Event()
RELEASE.set()
VALUES = {}
STATE = {"queries": 0, "held": 0}
HOLD_MAX_S = 30


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > 1 << 20:
            return b""
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        if urlsplit(self.path).path == "/_state":
            with LOCK:
                self.reply(200, dict(STATE))
        else:
            self.reply(404, {"status": "error", "error": "not found"})

    def do_POST(self):
        path = urlsplit(self.path).path
        raw = self.body()
        if path == "/_control":
            try:
                ctl = json.loads(raw or b"{}")
            except ValueError:
                self.reply(400, {"error": "not JSON"})
                return
            with LOCK:
                VALUES.update(ctl.get("values", {}))
            if "hold" in ctl:
                if ctl["hold"]:
                    RELEASE.clear()
                else:
                    RELEASE.set()
            self.reply(200, {"ok": True})
            return
        if not path.endswith("/api/v1/query"):
            self.reply(404, {"status": "error", "error": "not found"})
            return
        form = parse_qs(raw.decode("utf-8", "replace"))
        query = form.get("query", [""])[0]
        try:
            at = float(form.get("time", ["0"])[0])
        except ValueError:
            at = 0.0
        with LOCK:
            STATE["held"] += 1
        RELEASE.wait(HOLD_MAX_S)
        with LOCK:
            STATE["held"] -= 1
            STATE["queries"] += 1
            value = VALUES.get(query)
        result = [] if value is None else \
            [{"metric": {}, "value": [at, repr(float(value))]}]
        self.reply(200, {"status": "success",
                         "data": {"resultType": "vector", "result": result}})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # a client that hangs up (a cancelled request) is no news


def orphaned(parent):
    """Leave when the test that started us is gone (it may end without
    stopping us: a failed assertion ends its process)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    threading.Thread(target=orphaned, args=(os.getppid(),),
                     daemon=True).start()
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
