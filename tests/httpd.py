#!/usr/bin/env python3
"""httpd.py [PORT | --port PORT] [--tls-cert FILE --tls-key FILE]
-- loopback HTTP(S) server for tests/test_http.

Listens on 127.0.0.1:PORT (0 picks a free port), prints "ready PORT" on
stdout once it listens, and serves until killed:

  /json            200 application/json
  /slow?s=N        waits N seconds (default 30), then 200
  /401             401 text/plain
  /502             502 text/html (an nginx-like error page)
  /jsonerr         400 application/json with an "error" member
  /retry[?after=V] 429 with Retry-After: V (default 7)
  /echo[?status=N] the request (method, path, headers, body) as JSON
  /say?status=N    the request body back as text/plain, with status N
  /huge?n=N        200 with N bytes of "x" (default 1 MiB)
  /redirect?n=N    N redirects, then /json
  /goto?to=URL[&status=N]  redirect (default 302) to URL, any origin
  /_seen           the requests seen so far (method, path, headers), as
                   a JSON list; /_seen itself is not counted
"""
import argparse
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SEEN = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, ctype, body, extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = url.path

        if path != "/_seen":
            with LOCK:
                SEEN.append({"method": self.command, "path": self.path,
                             "headers": {k.lower(): v for k, v
                                         in self.headers.items()}})
        if path == "/_seen":
            with LOCK:
                self.reply(200, "application/json", json.dumps(SEEN))
        elif path == "/goto":
            self.send_response(int(q.get("status", ["302"])[0]))
            self.send_header("Location", q.get("to", ["/json"])[0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/json":
            self.reply(200, "application/json",
                       json.dumps({"status": "success",
                                   "data": {"answer": 42}}))
        elif path == "/slow":
            time.sleep(float(q.get("s", ["30"])[0]))
            self.reply(200, "text/plain", "late\n")
        elif path == "/401":
            self.reply(401, "text/plain; charset=utf-8",
                       "no org id\n")
        elif path == "/502":
            self.reply(502, "text/html",
                       "<html>\r\n<head><title>502 Bad Gateway</title>"
                       "</head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
                       "</h1></center>\r\n<hr><center>nginx</center>\r\n"
                       "</body>\r\n</html>\r\n")
        elif path == "/jsonerr":
            self.reply(400, "application/json",
                       json.dumps({"status": "error",
                                   "errorType": "bad_data",
                                   "error": "parse error at char 4"}))
        elif path == "/retry":
            self.reply(429, "text/plain", "slow down\n",
                       [("Retry-After", q.get("after", ["7"])[0])])
        elif path == "/echo":
            status = int(q.get("status", ["200"])[0])
            self.reply(status, "application/json", json.dumps({
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("latin-1"),
            }))
        elif path == "/say":
            self.reply(int(q.get("status", ["200"])[0]), "text/plain", body)
        elif path == "/huge":
            n = int(q.get("n", [str(1 << 20)])[0])
            self.reply(200, "application/octet-stream", b"x" * n)
        elif path == "/redirect":
            n = int(q.get("n", ["1"])[0])
            self.send_response(302)
            self.send_header("Location",
                             "/redirect?n=%d" % (n - 1) if n > 1
                             else "/json")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.reply(404, "text/plain", "no such route\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int, nargs="?", default=0)
    ap.add_argument("--port", type=int, dest="port_opt")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    port = a.port_opt if a.port_opt is not None else a.port
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    # The default backlog of 5 drops the SYN of a 6th parallel client.
    ThreadingHTTPServer.request_queue_size = 64
    # Clients that hang up early (cancel, timeout, truncation) are expected.
    ThreadingHTTPServer.handle_error = lambda self, request, address: None
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
