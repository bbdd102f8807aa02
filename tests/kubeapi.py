#!/usr/bin/env python3
"""kubeapi.py -- a small Kubernetes API server for cutover's tests.

Serves pods read from a fixture directory, enough of the real API for
kubectl (checked by tests/kubectl_check.sh against the real kubectl):

  GET /version, /api, /apis, /api/v1          discovery (legacy, not aggregated)
  GET /api/v1/namespaces/NS/pods              PodList
  GET /api/v1/pods                            PodList over all namespaces
  GET /api/v1/namespaces/NS/pods/NAME         one Pod
      ?labelSelector=  a=b, a==b, a!=b, a in (x,y), a notin (x,y), a, !a
      ?fieldSelector=  metadata.name=, metadata.namespace=, status.phase=
      ?limit=N&continue=TOKEN                  paging, one resourceVersion

Test controls (no auth needed):
  GET  /_test/requests        the requests seen so far, as JSON lines
  POST /_test/gone?n=N        the next N requests with a continue token get
                              410 Gone (Status reason Expired)
  POST /_test/token?value=T   accept bearer token T from now on (replaces)

Usage: kubeapi.py [--port N] [--pods DIR] [--token T]... [--gone N]
                  [--tls-cert FILE --tls-key FILE [--client-ca FILE]]
                  [--log FILE]   (the same JSON lines as /_test/requests)
Prints "ready PORT" once listening.  With --token or --client-ca every API
request must authenticate (a listed bearer token, or a client certificate
signed by the client CA); otherwise it gets 401 with a Status body, as a
real API server answers.
"""
import argparse
import base64
import json
import os
import re
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RESOURCE_VERSION = "4711"

STATE = {
    "pods": [],
    "tokens": [],
    "client_auth": False,
    "gone": 0,
    "requests": [],
    "log": None,
}
LOCK = threading.Lock()


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason,
            "code": code}


def load_pods(directory):
    pods = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(directory, name)) as f:
            doc = json.load(f)
        if doc.get("kind") in ("PodList", "List"):
            pods.extend(doc.get("items", []))
        else:
            pods.append(doc)
    for p in pods:
        p.setdefault("apiVersion", "v1")
        p.setdefault("kind", "Pod")
        md = p.setdefault("metadata", {})
        md.setdefault("namespace", "default")
        md.setdefault("resourceVersion", RESOURCE_VERSION)
    pods.sort(key=lambda p: (p["metadata"]["namespace"],
                             p["metadata"]["name"]))
    return pods


# --- selectors ----------------------------------------------------------

class BadSelector(Exception):
    pass


KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"


def split_terms(sel):
    terms, depth, cur = [], 0, ""
    for ch in sel:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    terms.append(cur)
    return [t.strip() for t in terms]


def parse_label_selector(sel):
    """A list of predicates over a labels dict."""
    preds = []
    if sel is None or sel.strip() == "":
        return preds
    for term in split_terms(sel):
        m = re.fullmatch(r"(%s)\s+(in|notin)\s+\(([^)]*)\)" % KEY, term)
        if m:
            key, op = m.group(1), m.group(3)
            vals = {v.strip() for v in m.group(4).split(",")}
            if any(not re.fullmatch(VALUE, v) for v in vals):
                raise BadSelector(term)
            if op == "in":
                preds.append(lambda l, k=key, vs=vals: l.get(k) in vs)
            else:
                preds.append(lambda l, k=key, vs=vals: l.get(k) not in vs)
            continue
        m = re.fullmatch(r"(%s)\s*(==|=|!=)\s*(%s)" % (KEY, VALUE), term)
        if m:
            key, op, val = m.group(1), m.group(3), m.group(4)
            if op == "!=":
                preds.append(lambda l, k=key, v=val: l.get(k) != v)
            else:
                preds.append(lambda l, k=key, v=val: l.get(k) == v)
            continue
        m = re.fullmatch(r"!\s*(%s)" % KEY, term)
        if m:
            preds.append(lambda l, k=m.group(1): k not in l)
            continue
        if re.fullmatch(KEY, term):
            preds.append(lambda l, k=term: k in l)
            continue
        raise BadSelector(term)
    return preds


FIELDS = {
    "metadata.name": lambda p: p["metadata"].get("name"),
    "metadata.namespace": lambda p: p["metadata"].get("namespace"),
    "status.phase": lambda p: p.get("status", {}).get("phase"),
    "spec.nodeName": lambda p: p.get("spec", {}).get("nodeName"),
}


def parse_field_selector(sel):
    preds = []
    if sel is None or sel.strip() == "":
        return preds
    for term in sel.split(","):
        m = re.fullmatch(r"([a-zA-Z.]+)\s*(==|=|!=)\s*(.*)", term.strip())
        if not m or m.group(1) not in FIELDS:
            raise BadSelector(term)
        get, op, val = FIELDS[m.group(1)], m.group(2), m.group(3)
        if op == "!=":
            preds.append(lambda p, g=get, v=val: g(p) != v)
        else:
            preds.append(lambda p, g=get, v=val: g(p) == v)
    return preds


# --- the server -----------------------------------------------------------

DISCOVERY_V1 = {
    "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1",
    "resources": [
        {"name": "pods", "singularName": "pod", "namespaced": True,
         "kind": "Pod", "shortNames": ["po"], "categories": ["all"],
         "verbs": ["get", "list"]},
        {"name": "namespaces", "singularName": "namespace",
         "namespaced": False, "kind": "Namespace", "shortNames": ["ns"],
         "verbs": ["get", "list"]},
    ],
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj, ctype="application/json"):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(body)

    def who(self):
        """'bearer:T', 'cert:CN', or 'none'."""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return "bearer:" + auth[len("Bearer "):]
        if auth.startswith("Basic "):
            return "basic:" + base64.b64decode(auth[6:]).decode(
                errors="replace")
        cert = None
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert()
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return "cert:" + v
            return "cert:?"
        return "none"

    def authorised(self, who):
        if not STATE["tokens"] and not STATE["client_auth"]:
            return True
        if who.startswith("bearer:") and who[7:] in STATE["tokens"]:
            return True
        return STATE["client_auth"] and who.startswith("cert:")

    def do_POST(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if url.path == "/_test/gone":
            with LOCK:
                STATE["gone"] = int(q.get("n", ["1"])[0])
            self.reply(200, {"gone": STATE["gone"]})
        elif url.path == "/_test/token":
            with LOCK:
                STATE["tokens"] = [q.get("value", [""])[0]]
            self.reply(200, {})
        else:
            self.reply(405, status(405, "MethodNotAllowed",
                                   "the server does not allow this "
                                   "method on the requested resource"))

    def do_GET(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query, keep_blank_values=True)
        path = url.path.rstrip("/") or "/"
        if path == "/_test/requests":
            with LOCK:
                lines = "".join(json.dumps(r) + "\n"
                                for r in STATE["requests"])
            body = lines.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        who = self.who()
        entry = {"path": path, "query": url.query, "auth": who}
        with LOCK:
            STATE["requests"].append(entry)
            if STATE["log"] is not None:
                STATE["log"].write(json.dumps(entry) + "\n")
                STATE["log"].flush()
        if not self.authorised(who):
            self.reply(401, status(401, "Unauthorized", "Unauthorized"))
            return
        if path == "/version":
            self.reply(200, {"major": "1", "minor": "32",
                             "gitVersion": "v1.32.0-kubeapi.py",
                             "platform": "linux/amd64"})
        elif path == "/api":
            self.reply(200, {"kind": "APIVersions", "versions": ["v1"],
                             "serverAddressByClientCIDRs": [
                                 {"clientCIDR": "0.0.0.0/0",
                                  "serverAddress": "127.0.0.1:443"}]})
        elif path == "/apis":
            self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1",
                             "groups": []})
        elif path == "/api/v1":
            self.reply(200, DISCOVERY_V1)
        else:
            m = re.fullmatch(r"/api/v1(?:/namespaces/([^/]+))?/pods"
                             r"(?:/([^/]+))?", path)
            if m is None:
                self.reply(404, status(404, "NotFound",
                                       "the server could not find the "
                                       "requested resource"))
            elif m.group(2) is not None:
                self.get_pod(m.group(1), m.group(2))
            else:
                self.list_pods(m.group(1), q)

    def get_pod(self, ns, name):
        for p in STATE["pods"]:
            md = p["metadata"]
            if md["name"] == name and md["namespace"] == ns:
                self.reply(200, p)
                return
        self.reply(404, status(404, "NotFound",
                               'pods "%s" not found' % name))

    def list_pods(self, ns, q):
        one = lambda k: q.get(k, [None])[0]
        try:
            lpreds = parse_label_selector(one("labelSelector"))
            fpreds = parse_field_selector(one("fieldSelector"))
        except BadSelector as e:
            self.reply(400, status(400, "BadRequest",
                                   "unable to parse requirement: %s"
                                   % e.args[0]))
            return
        limit = int(one("limit") or 0)
        cont = one("continue")
        start = 0
        if cont:
            with LOCK:
                gone = STATE["gone"] > 0
                if gone:
                    STATE["gone"] -= 1
            if gone:
                self.reply(410, status(
                    410, "Expired",
                    "The provided continue parameter is too old to "
                    "display a consistent list result. You can start a "
                    "new list without the continue parameter."))
                return
            try:
                tok = json.loads(base64.urlsafe_b64decode(cont))
                start = int(tok["start"])
                if tok["rv"] != RESOURCE_VERSION:
                    raise ValueError("rv")
            except (ValueError, KeyError, TypeError):
                self.reply(400, status(400, "BadRequest",
                                       "continue key is not valid"))
                return
        items = [p for p in STATE["pods"]
                 if (ns is None or p["metadata"]["namespace"] == ns)
                 and all(f(p["metadata"].get("labels", {}))
                         for f in lpreds)
                 and all(f(p) for f in fpreds)]
        meta = {"resourceVersion": RESOURCE_VERSION}
        page = items[start:]
        if limit > 0 and len(page) > limit:
            page = page[:limit]
            nxt = {"rv": RESOURCE_VERSION, "start": start + limit}
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps(nxt).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        self.reply(200, {"kind": "PodList", "apiVersion": "v1",
                         "metadata": meta, "items": page})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--pods")
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--gone", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ap.add_argument("--log")
    a = ap.parse_args()

    if a.log:
        STATE["log"] = open(a.log, "a")
    if a.pods:
        STATE["pods"] = load_pods(a.pods)
    STATE["tokens"] = a.token
    STATE["gone"] = a.gone
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.client_ca:
            ctx.load_verify_locations(a.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
            STATE["client_auth"] = True
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
