#!/usr/bin/env python3
"""cloudflared — a small Cloudflare Load Balancing API stand-in for
cutover's tests (127.0.0.1 only).

  GET/PATCH/PUT /client/v4/accounts/ACC/load_balancers/pools/POOL
  GET/PATCH     /client/v4/zones/ZONE/load_balancers/LB

Bearer auth (--token); the envelope {"success","errors","messages",
"result"}; PATCH of a pool replaces `origins` as a whole and refuses an
origin without an address or with a weight outside 0..1 (like the real
API); PATCH of a load balancer replaces `random_steering`.

Test controls (no auth):
  GET  /_state    {"changes": n, "pool": {...}, "lb": {...}, "requests": []}
  POST /_control  any of {"fail": "" | "auth" | "ratelimit" | "error" |
                  "malformed" | "nosuccess" | "html", "fail_count": n,
                  "pool": {...}, "lb": {...}}
Flags: --port N (prints "ready PORT"), --token T, --fail MODE,
--fail-count N.
"""
import argparse
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACC, POOL, ZONE, LB = "acc1", "pool1", "zone1", "lb1"
LOCK = threading.Lock()
S = {"changes": 0, "requests": [], "fail": "", "fail_count": -1,
     "pool": None, "lb": None}
ARGS = None


def default_pool():
    return {"id": POOL, "name": "www", "enabled": True,
            "origin_steering": {"policy": "random"},
            "origins": [
                {"name": "apisix", "address": "apisix.example.net",
                 "enabled": True, "weight": 1,
                 "header": {"Host": ["www.example.com"]}},
                {"name": "istio", "address": "istio.example.net",
                 "enabled": True, "weight": 0, "port": 443},
                {"name": "spare", "address": "192.0.2.9",
                 "enabled": False, "weight": 0.5,
                 "virtual_network_id": "vn-1"}]}


def default_lb():
    return {"id": LB, "name": "www.example.com", "steering_policy": "random",
            "default_pools": ["pool-apisix", "pool-istio"],
            "fallback_pool": "pool-apisix",
            "random_steering": {"default_weight": 1,
                                "pool_weights": {"pool-apisix": 1,
                                                 "pool-istio": 0,
                                                 "pool-other": 0.3}}}


def envelope(result=None, errors=None, success=True):
    return json.dumps({"success": success, "errors": errors or [],
                       "messages": [], "result": result})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def send(self, code, body, ctype="application/json", extra=None):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def err(self, code, ecode, msg):
        return self.send(code, envelope(None, [{"code": ecode,
                                                "message": msg}], False))

    def injected(self):
        with LOCK:
            mode = S["fail"]
            if not mode or S["fail_count"] == 0:
                return None
            if S["fail_count"] > 0:
                S["fail_count"] -= 1
            return mode

    def api(self, method, body):
        with LOCK:
            S["requests"].append("%s %s" % (method, self.path))
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + ARGS.token:
            return self.err(403, 10000, "Authentication error")
        mode = self.injected()
        if mode == "auth":
            return self.err(403, 10000, "Authentication error")
        if mode == "ratelimit":
            return self.send(429, envelope(None, [{
                "code": 971, "message": "Please wait and consider "
                "throttling your request speed"}], False),
                extra={"Retry-After": "1"})
        if mode == "error":
            return self.err(400, 1002, "origins: weight must be between "
                            "0 and 1")
        if mode == "malformed":
            return self.send(200, '{"success": true, "result": ')
        if mode == "nosuccess":
            return self.send(200, envelope(None, [], False))
        if mode == "html":
            return self.send(502, "<html><body><h1>502 Bad Gateway</h1>"
                             "</body></html>", "text/html")
        pool_path = "/client/v4/accounts/%s/load_balancers/pools/%s" % (
            ACC, POOL)
        lb_path = "/client/v4/zones/%s/load_balancers/%s" % (ZONE, LB)
        if self.path == pool_path:
            return self.pool(method, body)
        if self.path == lb_path:
            return self.lb(method, body)
        return self.err(404, 1003, "Not found: %s" % self.path)

    def pool(self, method, body):
        with LOCK:
            if method == "GET":
                return self.send(200, envelope(S["pool"]))
            try:
                patch = json.loads(body)
            except ValueError:
                return self.err(400, 1001, "invalid JSON")
            origins = patch.get("origins")
            if method == "PUT" or origins is not None:
                for o in origins or []:
                    if "address" not in o or "name" not in o:
                        return self.err(400, 1002, "origin without "
                                        "name or address")
                    w = o.get("weight", 1)
                    if not isinstance(w, (int, float)) or not 0 <= w <= 1:
                        return self.err(400, 1002, "origins: weight must "
                                        "be between 0 and 1")
            new = copy.deepcopy(S["pool"])
            new.update(patch)
            S["pool"] = new
            S["changes"] += 1
            return self.send(200, envelope(S["pool"]))

    def lb(self, method, body):
        with LOCK:
            if method == "GET":
                return self.send(200, envelope(S["lb"]))
            try:
                patch = json.loads(body)
            except ValueError:
                return self.err(400, 1001, "invalid JSON")
            rs = patch.get("random_steering")
            if rs is not None:
                for k, w in rs.get("pool_weights", {}).items():
                    if not isinstance(w, (int, float)) or not 0 <= w <= 1:
                        return self.err(400, 1002, "pool weight of %s "
                                        "must be between 0 and 1" % k)
            new = copy.deepcopy(S["lb"])
            new.update(patch)
            S["lb"] = new
            S["changes"] += 1
            return self.send(200, envelope(S["lb"]))

    def do_GET(self):
        if self.path == "/_state":
            with LOCK:
                return self.send(200, json.dumps(S))
        return self.api("GET", b"")

    def do_PATCH(self):
        return self.api("PATCH", self.body())

    def do_PUT(self):
        return self.api("PUT", self.body())

    def do_POST(self):
        body = self.body()
        if self.path == "/_control":
            c = json.loads(body or b"{}")
            with LOCK:
                for k in ("fail", "fail_count", "pool", "lb"):
                    if k in c:
                        S[k] = c[k]
            return self.send(200, "{}")
        return self.err(405, 1000, "method not allowed")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="cf-test-token")
    ap.add_argument("--fail", default="")
    ap.add_argument("--fail-count", type=int, default=-1)
    ARGS = ap.parse_args()
    S["fail"] = ARGS.fail
    S["fail_count"] = ARGS.fail_count
    S["pool"] = default_pool()
    S["lb"] = default_lb()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
