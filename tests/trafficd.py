#!/usr/bin/env python3
"""trafficd.py --weights-url URL --istio HOST --apisix HOST --history FILE
-- the traffic of a service being cut over, as Prometheus sees it, for
tests/guard_prom.sh and tests/ui_readme.sh.

RPS requests a second (default 100) are split between the Istio ingress
gateway and APISIX by the weights of a route that tests/kubeapi.py holds:
URL is its /_test/object?... address, HOST the destinations of its split
route (the second http route).  The weights are read four times a second,
so the traffic follows what cutover's driver applied.  Istio answers a
share of its requests with 503 (--istio-errors, 0.0005 at first); APISIX
answers 0.2% with 502.  Both have latency histograms (P95 about 430 ms).
The application's sidecars in --namespace (default "default") report
every request they receive: over mutual TLS from the Istio gateway, in
plain text from APISIX (mTLS coverage is Istio's share).

At start, FILE gets --past seconds (default 1800) of history with the
weights found then, one sample every 5 s up to now, in OpenMetrics for
`promtool tsdb create-blocks-from openmetrics`; the counters go on from
there, so the backfilled series and the scraped ones are the same series
(scrape them with the labels job and instance dropped).

Listens on 127.0.0.1 (a free port), prints "ready PORT" and serves:
  GET  /metrics                the counters now (text exposition)
  POST /_test/errors?istio=F   from now on a share F of Istio's requests
                               are 503 (the error spike)
  GET  /_test/state            weights, error share and counters, as JSON
"""
import argparse
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GW = ('reporter="source",source_workload="istio-ingressgateway",'
      'source_workload_namespace="istio-system"')
# Cumulative shares of requests at or under each bound, in ms.
BUCKETS = [("50", 0.30), ("100", 0.60), ("250", 0.90), ("500", 0.97),
           ("1000", 0.995), ("2500", 1.0), ("+Inf", 1.0)]
APISIX_ERRORS = 0.002
# The application's sidecars, as destination; set from --namespace.
DST = ('reporter="destination",destination_workload_namespace="%s",'
       'response_code="200"')

LOCK = threading.Lock()
ST = {"weights": (0, 100), "istio_errors": 0.0005, "t": 0.0,
      "counters": {}, "reads": 0, "read_errors": 0}


def series():
    """(name, labels) of every series, in exposition order."""
    out = [("istio_requests_total", GW + ',response_code="200"'),
           ("istio_requests_total", GW + ',response_code="503"')]
    for le, _ in BUCKETS:
        out.append(("istio_request_duration_milliseconds_bucket",
                    GW + ',le="%s"' % le))
    out += [("apisix_http_status", 'code="200",route="api"'),
            ("apisix_http_status", 'code="502",route="api"')]
    for le, _ in BUCKETS:
        out.append(("apisix_http_latency_bucket",
                    'type="request",route="api",le="%s"' % le))
    out += [("istio_requests_total",
             DST + ',connection_security_policy="mutual_tls"'),
            ("istio_requests_total",
             DST + ',connection_security_policy="none"')]
    return out


def rates(weights, istio_errors, rps):
    """Per-second increase of each series under these weights."""
    wi, wa = weights
    ri, ra = rps * wi / 100.0, rps * wa / 100.0
    r = {}
    r[("istio_requests_total", GW + ',response_code="200"')] = \
        ri * (1 - istio_errors)
    r[("istio_requests_total", GW + ',response_code="503"')] = \
        ri * istio_errors
    r[("apisix_http_status", 'code="200",route="api"')] = \
        ra * (1 - APISIX_ERRORS)
    r[("apisix_http_status", 'code="502",route="api"')] = ra * APISIX_ERRORS
    for le, share in BUCKETS:
        r[("istio_request_duration_milliseconds_bucket",
           GW + ',le="%s"' % le)] = ri * share
        r[("apisix_http_latency_bucket",
           'type="request",route="api",le="%s"' % le)] = ra * share
    r[("istio_requests_total",
       DST + ',connection_security_policy="mutual_tls"')] = ri
    r[("istio_requests_total",
       DST + ',connection_security_policy="none"')] = ra
    return r


def advance(now, rps):
    """Count the requests since the last call (under ST's lock)."""
    dt = now - ST["t"]
    if dt <= 0:
        return
    for k, v in rates(ST["weights"], ST["istio_errors"], rps).items():
        ST["counters"][k] += v * dt
    ST["t"] = now


def read_weights(url, istio, apisix):
    with urllib.request.urlopen(url, timeout=2) as r:
        obj = json.load(r)
    w = {d["destination"]["host"]: int(d.get("weight", 0))
         for d in obj["spec"]["http"][1]["route"]}
    return w[istio], w[apisix]


def poller(args):
    while True:
        try:
            w = read_weights(args.weights_url, args.istio, args.apisix)
        except Exception:
            with LOCK:
                ST["read_errors"] += 1
            w = None
        with LOCK:
            advance(time.time(), args.rps)
            if w is not None:
                ST["weights"] = w
                ST["reads"] += 1
        time.sleep(0.25)


def write_history(path, end, past, rps):
    """The past at the current weights; returns the counters at `end`."""
    start = end - past
    r = rates(ST["weights"], ST["istio_errors"], rps)
    with open(path, "w") as f:
        for name in sorted(set(n for n, _ in series())):
            f.write("# TYPE %s unknown\n" % name)
            for n, labels in series():
                if n != name:
                    continue
                for t in range(start, end + 1, 5):
                    f.write("%s{%s} %.6f %d\n" %
                            (n, labels, 1000 + r[(n, labels)] * (t - start),
                             t))
        f.write("# EOF\n")
    return {k: 1000 + r[k] * past for k in series()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = urlsplit(self.path).path
        with LOCK:
            advance(time.time(), self.server.rps)
            if path == "/metrics":
                lines = []
                for n, labels in series():
                    lines.append("%s{%s} %.6f" %
                                 (n, labels, ST["counters"][(n, labels)]))
                self.reply(200, "\n".join(lines) + "\n",
                           "text/plain; version=0.0.4")
                return
            if path == "/_test/state":
                self.reply(200, json.dumps({
                    "weights": ST["weights"],
                    "istio_errors": ST["istio_errors"],
                    "reads": ST["reads"],
                    "read_errors": ST["read_errors"]}))
                return
        self.reply(404, "{}")

    def do_POST(self):
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        if u.path == "/_test/errors" and "istio" in q:
            share = float(q["istio"][0])
            if not 0 <= share <= 1:
                self.reply(400, '{"error": "istio must be 0 to 1"}')
                return
            with LOCK:
                advance(time.time(), self.server.rps)
                ST["istio_errors"] = share
            self.reply(200, json.dumps({"istio_errors": share}))
            return
        self.reply(404, "{}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights-url", required=True)
    ap.add_argument("--istio", required=True)
    ap.add_argument("--apisix", required=True)
    ap.add_argument("--history", required=True)
    ap.add_argument("--past", type=int, default=1800)
    ap.add_argument("--rps", type=float, default=100.0)
    ap.add_argument("--namespace", default="default")
    args = ap.parse_args()
    global DST
    DST = DST % args.namespace

    ST["weights"] = read_weights(args.weights_url, args.istio, args.apisix)
    end = int(time.time())
    ST["counters"] = write_history(args.history, end, args.past, args.rps)
    ST["t"] = float(end)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.rps = args.rps
    threading.Thread(target=poller, args=(args,), daemon=True).start()
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
