#!/usr/bin/env python3
"""notifyd.py --log FILE -- a loopback server standing in for Slack, a
generic webhook and Grafana, for tests/notify_cli.sh.

Listens on 127.0.0.1 at a free port, prints "ready PORT", and appends
every POST to FILE as one JSON line: path, headers, body (as JSON when it
parses).  What it answers depends on the path:

  /slack/...        200 "ok" when the body has "text" and "blocks"
                    (Slack's own answer), else 400 "invalid_payload"
  /hook/...         200 {}
  /api/annotations  Grafana: 401 without "Authorization: Bearer <token>"
                    (the token given with --grafana-token), 400 without
                    "time" and "text", else {"message":"Annotation
                    added","id":N}
  /fail/...         500 "boom" (always)
  /busy/...         429 with Retry-After: 1 the first time, then 200 "ok"
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"log": None, "token": "", "ids": 0, "busy": set()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body, ctype="text/plain", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        entry = {"path": self.path, "headers": dict(self.headers.items()),
                 "body": body}
        with LOCK:
            STATE["log"].write(json.dumps(entry) + "\n")
            STATE["log"].flush()
        if self.path.startswith("/slack/"):
            if isinstance(body, dict) and "text" in body and "blocks" in body:
                self.answer(200, "ok")
            else:
                self.answer(400, "invalid_payload")
        elif self.path.startswith("/hook/"):
            self.answer(200, "{}", "application/json")
        elif self.path == "/api/annotations":
            auth = self.headers.get("Authorization", "")
            if auth != "Bearer " + STATE["token"]:
                self.answer(401, '{"message":"Unauthorized"}',
                            "application/json")
            elif not (isinstance(body, dict) and "time" in body and
                      "text" in body):
                self.answer(400, '{"message":"bad request data"}',
                            "application/json")
            else:
                with LOCK:
                    STATE["ids"] += 1
                    i = STATE["ids"]
                self.answer(200, json.dumps({"message": "Annotation added",
                                             "id": i}), "application/json")
        elif self.path.startswith("/busy/"):
            with LOCK:
                first = self.path not in STATE["busy"]
                STATE["busy"].add(self.path)
            if first:
                self.answer(429, "rate_limited", extra={"Retry-After": "1"})
            else:
                self.answer(200, "ok")
        else:
            self.answer(500, "boom")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--grafana-token", default="")
    a = ap.parse_args()
    STATE["log"] = open(a.log, "a")
    STATE["token"] = a.grafana_token
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("ready %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
