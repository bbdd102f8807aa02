#!/usr/bin/env python3
"""grpchealthd.py [--port PORT] [--tls-cert F --tls-key F]
-- a gRPC health server (grpc.health.v1) over HTTP/2, without TLS (h2c)
or with it (h2 by ALPN), for tests/test_probe, built on Debian's
python3-grpcio with the messages written by hand (no generated code).

Listens on 127.0.0.1:PORT (0 picks a free port), prints "ready PORT".
Health/Check answers by the request's service name:
  ""      SERVING
  "down"  NOT_SERVING
  other   the call fails with NOT_FOUND, as grpc-health-checking does
Prints "no grpc" and exits 77 when the grpc module is missing.
"""
import argparse
import sys

try:
    import grpc
except ImportError:
    print("no grpc", flush=True)
    sys.exit(77)
from concurrent import futures


def service_name(req):
    # HealthCheckRequest: field 1 (string), tag 0x0a, one-byte length here
    if len(req) >= 2 and req[0] == 0x0A and req[1] < 0x80:
        return req[2:2 + req[1]].decode()
    return ""


def check(req, context):
    name = service_name(req)
    if name == "":
        return b"\x08\x01"
    if name == "down":
        return b"\x08\x02"
    context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {"Check": grpc.unary_unary_rpc_method_handler(check)})
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    srv.add_generic_rpc_handlers((handler,))
    if a.tls_cert:
        with open(a.tls_key, "rb") as k, open(a.tls_cert, "rb") as c:
            creds = grpc.ssl_server_credentials(((k.read(), c.read()),))
        port = srv.add_secure_port("127.0.0.1:%d" % a.port, creds)
    else:
        port = srv.add_insecure_port("127.0.0.1:%d" % a.port)
    srv.start()
    print("ready %d" % port, flush=True)
    srv.wait_for_termination()


if __name__ == "__main__":
    main()
