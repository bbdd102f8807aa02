#!/usr/bin/env python3
"""probed.py [--port PORT] [--host NAME] [--tls-cert F --tls-key F]
   [--token-file F] [--body-file F] [--lb-address A]
-- a gateway behind a load balancer, for tests/test_probe.

Listens on 127.0.0.1:PORT (0 picks a free port), prints "ready PORT" once
it listens.  With --host, every request whose Host header (without port)
or TLS SNI is not NAME gets 421 Misdirected Request: a probe must carry
the real host name although it connects to an address.

  POST /api/v1/auth/login   200 when the Authorization header is
                            "Bearer <token-file's line>" and the body is
                            the body file's bytes; else 401
  GET  /status?code=N       status N
  GET  /ws                  a WebSocket upgrade: 101 with
                            Sec-WebSocket-Accept, then the connection is
                            closed; 400 without the upgrade headers
  GET  /slow?s=N            waits N seconds, then 200
  GET  /api/v1/namespaces/NS/services/NAME
                            a Service whose status.loadBalancer.ingress
                            holds --lb-address (none without it)
  GET  /_seen               what was seen (method, path, host, sni, and
                            whether auth and body matched), as JSON;
                            never the secrets themselves
"""
import argparse
import base64
import hashlib
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SEEN = []
LOCK = threading.Lock()
ARGS = None


def read(path):
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", ctype="text/plain", extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        sni = getattr(self.connection, "cutover_sni", None)
        token = read(ARGS.token_file)
        want_body = read(ARGS.body_file)
        auth_ok = (token is not None and self.headers.get("Authorization")
                   == "Bearer " + token.decode().strip())
        body_ok = want_body is not None and body == want_body
        if url.path != "/_seen":
            with LOCK:
                SEEN.append({"method": self.command, "path": url.path,
                             "host": host, "sni": sni,
                             "auth_ok": auth_ok, "body_ok": body_ok,
                             "upgrade": self.headers.get("Upgrade")})
        if url.path == "/_seen":
            with LOCK:
                return self.reply(200, json.dumps(SEEN), "application/json")
        m = url.path.split("/")
        if (len(m) == 7 and m[1:4] == ["api", "v1", "namespaces"]
                and m[5] == "services"):
            ingress = [{"ip": ARGS.lb_address}] if ARGS.lb_address else []
            svc = {"kind": "Service", "apiVersion": "v1",
                   "metadata": {"name": m[6], "namespace": m[4]},
                   "status": {"loadBalancer": {"ingress": ingress}}}
            return self.reply(200, json.dumps(svc), "application/json")
        if ARGS.host and (host != ARGS.host or
                          (ARGS.tls_cert and sni != ARGS.host)):
            return self.reply(421, "misdirected\n")
        if url.path == "/api/v1/auth/login" and self.command == "POST":
            return self.reply(200 if auth_ok and body_ok else 401,
                              '{"token":"session-not-a-secret"}',
                              "application/json")
        if url.path == "/status":
            return self.reply(int(q.get("code", ["200"])[0]))
        if url.path == "/slow":
            time.sleep(float(q.get("s", ["30"])[0]))
            return self.reply(200)
        if url.path == "/ws":
            key = self.headers.get("Sec-WebSocket-Key")
            if (self.headers.get("Upgrade", "").lower() != "websocket" or
                    self.headers.get("Sec-WebSocket-Version") != "13" or
                    not key):
                return self.reply(400, "not an upgrade\n")
            accept = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                .digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            # A WebSocket frame the client must never wait for.
            self.close_connection = True
            return None
        return self.reply(404, "no such route\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--token-file")
    ap.add_argument("--body-file")
    ap.add_argument("--lb-address")
    ARGS = ap.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 64
    ThreadingHTTPServer.handle_error = lambda self, request, address: None
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)

        def on_sni(sock, name, context):
            sock.cutover_sni = name

        ctx.sni_callback = on_sni
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
