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

Route objects (with --routes DIR: every *.json there, one object or a List):
  GET   /apis/networking.istio.io/v1/namespaces/NS/virtualservices/NAME
  GET   /apis/gateway.networking.k8s.io/v1/namespaces/NS/httproutes/NAME
  PATCH the same paths, Content-Type
        application/json-patch+json   RFC 6902 (add, remove, replace, move,
                                      copy, test)
        application/merge-patch+json  RFC 7386
        anything else                 415 (as for custom resources)
      Every change bumps metadata.resourceVersion (one counter for the
      server, like etcd's) and metadata.generation when spec changed.  A
      patch whose `test` fails, or that carries a metadata.resourceVersion
      other than the object's, gets 409 Conflict.  A real API server
      answers a failed `test` with 422 and a Status that does not say
      which test failed, nor even that one did ("the server rejected our
      request due to an error in our request", reason Invalid, no causes):
      --test-fail-code 422 answers exactly that.
      A VirtualService route with several destinations whose weights do not
      sum to 100 is refused with 422 Invalid (Istio's old validation).
  GET   /apis, /apis/GROUP/VERSION   discovery for those two resources

Test controls (no auth needed):
  GET  /_test/requests        the requests seen so far, as JSON lines
                              ({"method", "path", "query", "auth", ...})
  POST /_test/gone?n=N        the next N requests with a continue token get
                              410 Gone (Status reason Expired)
  POST /_test/token?value=T   accept bearer token T from now on (replaces)
  GET  /_test/object?plural=P&namespace=NS&name=N
                              the stored route object as it is now
  POST /_test/weights?plural=P&namespace=NS&name=N&set=BACKEND:W[&set=...]
                              "someone else" (a GitOps revert) sets the
                              weights of BACKEND in every route naming it;
                              bumps resourceVersion.  Without set=, only
                              bumps resourceVersion (an unrelated edit).
  POST /_test/race?plural=P&namespace=NS&name=N[&set=BACKEND:W...][&times=K]
                              the same change, made just before the next
                              PATCH of that object is applied (a write race);
                              with times=K before each of the next K PATCHes
  POST /_test/testfail?code=409|422
                              from now on a failed `test` gets that code (as
                              --test-fail-code)
  POST /_test/patchfail?n=N   the next N PATCHes of a route are refused with
                              422 Invalid by "an admission webhook", the
                              object unchanged (a refusal, not a conflict)
  POST /_test/podfail?mode=M[&n=N]
                              the next N pod list requests (default 1)
                              fail: M is 403 (Forbidden Status), 500
                              (InternalError Status), garbage (200 with a
                              body that is not JSON) or endless (200 whose
                              body never ends: a byte every 0.2 s)
  POST /_test/paging?mode=M[&size=N]
                              every pod list from now on pages wrongly: M
                              is repeat (each page carries the continue
                              token "again", whatever was asked) or endless
                              (each page holds N made-up pods, default the
                              limit asked, ignoring the limit, and a new
                              token, forever); mode= empty pages normally
  POST /_test/forbid?verb=get|patch&user=U
                              from now on that verb on routes gets 403
                              Forbidden with the API server's message
                              (verb= empty: allow everything again)

Usage: kubeapi.py [--port N] [--pods DIR] [--routes DIR] [--token T]...
                  [--gone N] [--test-fail-code 409|422]
                  [--tls-cert FILE --tls-key FILE [--client-ca FILE]]
                  [--log FILE]   (the same JSON lines as /_test/requests)
Prints "ready PORT" once listening.  With --token or --client-ca every API
request must authenticate (a listed bearer token, or a client certificate
signed by the client CA); otherwise it gets 401 with a Status body, as a
real API server answers.
"""
import argparse
import time
import base64
import copy
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
    "routes": {},           # (plural, namespace, name) -> object
    "rv": 1000,             # the server's resourceVersion counter
    "races": {},            # (plural, namespace, name) -> [[changes]]
                            #   one list of changes per coming PATCH
    "patchfail": 0,         # PATCHes still to refuse as a webhook would
    "forbid": {},           # verb -> user named in the 403 message
    "test_fail_code": 409,
    "podfail": [],          # modes for the next pod list requests
    "paging": "",           # "", "repeat" or "endless"
    "paging_size": 0,       # endless: pods per page (0: the limit)
    "events": [],           # events.k8s.io/v1 Events created
}

# plural -> (group, version, kind)
ROUTE_KINDS = {
    "virtualservices": ("networking.istio.io", "v1", "VirtualService"),
    "httproutes": ("gateway.networking.k8s.io", "v1", "HTTPRoute"),
}
LOCK = threading.Lock()


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason,
            "code": code}


def test_failed_status(code):
    """What kube-apiserver answers when a JSON patch `test` fails: the
    patch error goes to NewGenericServerResponse, which keeps only a
    generic message for 422."""
    s = status(code, "Invalid", "the server rejected our request due to "
               "an error in our request")
    s["details"] = {}
    return s


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


# --- route objects ----------------------------------------------------------

def next_rv():
    STATE["rv"] += 1
    return str(STATE["rv"])


def load_routes(directory):
    routes = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(directory, name)) as f:
            doc = json.load(f)
        objs = doc.get("items", []) if doc.get("kind") == "List" else [doc]
        for o in objs:
            plural = [p for p, v in ROUTE_KINDS.items()
                      if v[2] == o.get("kind")]
            if not plural:
                raise SystemExit("%s: kind %r is not a route"
                                 % (name, o.get("kind")))
            md = o.setdefault("metadata", {})
            md.setdefault("namespace", "default")
            md.setdefault("generation", 1)
            md["resourceVersion"] = next_rv()
            routes[(plural[0], md["namespace"], md["name"])] = o
    return routes


class PatchError(Exception):
    """code, reason, message of the Status to answer."""


def pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(422, "Invalid", "invalid JSON pointer %r" % path)
    return [t.replace("~1", "/").replace("~0", "~")
            for t in path[1:].split("/")]


def walk(doc, toks):
    """The container holding the last token, and that token."""
    cur = doc
    for t in toks[:-1]:
        if isinstance(cur, list):
            if not t.isdigit() or int(t) >= len(cur):
                raise PatchError(422, "Invalid",
                                 "index %s out of range" % t)
            cur = cur[int(t)]
        elif isinstance(cur, dict):
            if t not in cur:
                raise PatchError(422, "Invalid", "missing value at %s" % t)
            cur = cur[t]
        else:
            raise PatchError(422, "Invalid", "cannot walk into a scalar")
    return cur, toks[-1]


def get_at(doc, path):
    toks = pointer(path)
    if not toks:
        return doc
    c, t = walk(doc, toks)
    if isinstance(c, list):
        if not t.isdigit() or int(t) >= len(c):
            raise PatchError(422, "Invalid", "index %s out of range" % t)
        return c[int(t)]
    if not isinstance(c, dict) or t not in c:
        raise PatchError(422, "Invalid", "missing value at %s" % path)
    return c[t]


def remove_at(doc, path):
    c, t = walk(doc, pointer(path))
    if isinstance(c, list):
        if not t.isdigit() or int(t) >= len(c):
            raise PatchError(422, "Invalid", "index %s out of range" % t)
        return c.pop(int(t))
    if not isinstance(c, dict) or t not in c:
        raise PatchError(422, "Invalid", "missing value at %s" % path)
    return c.pop(t)


def add_at(doc, path, value):
    c, t = walk(doc, pointer(path))
    if isinstance(c, list):
        if t == "-":
            c.append(value)
        elif t.isdigit() and int(t) <= len(c):
            c.insert(int(t), value)
        else:
            raise PatchError(422, "Invalid", "index %s out of range" % t)
    elif isinstance(c, dict):
        c[t] = value
    else:
        raise PatchError(422, "Invalid", "cannot add into a scalar")


class TestFailed(Exception):
    pass


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchError(400, "BadRequest", "json patch is not a list")
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(400, "BadRequest", "bad operation %r" % op)
        kind, path = op["op"], op["path"]
        if kind == "test":
            try:
                have = get_at(doc, path)
            except PatchError:
                raise TestFailed("testing value %s failed: missing" % path)
            if have != op.get("value"):
                raise TestFailed("testing value %s failed: test failed"
                                 % path)
        elif kind == "add":
            add_at(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            remove_at(doc, path)
        elif kind == "replace":
            remove_at(doc, path)
            add_at(doc, path, copy.deepcopy(op["value"]))
        elif kind == "move":
            add_at(doc, path, remove_at(doc, op["from"]))
        elif kind == "copy":
            add_at(doc, path, copy.deepcopy(get_at(doc, op["from"])))
        else:
            raise PatchError(400, "BadRequest",
                             "unexpected kind of operation %r" % kind)
    return doc


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def validate_route(obj):
    """Istio's old rule: several destinations' weights sum to 100."""
    if obj.get("kind") != "VirtualService":
        return
    for i, h in enumerate(obj.get("spec", {}).get("http", []) or []):
        dests = h.get("route", []) or []
        if len(dests) < 2:
            continue
        total = sum(int(d.get("weight", 0)) for d in dests)
        if total != 100:
            raise PatchError(422, "Invalid",
                             'VirtualService.networking.istio.io "%s" is '
                             "invalid: spec.http[%d]: total destination "
                             "weight %d != 100"
                             % (obj["metadata"]["name"], i, total))


def backend_name(kind, dest):
    if kind == "VirtualService":
        return dest.get("destination", {}).get("host")
    return dest.get("name")


def set_weights(obj, changes):
    """Someone else's edit: set weights by backend name, bump rv."""
    kind = obj.get("kind")
    spec = obj.get("spec", {})
    rules = spec.get("http", []) if kind == "VirtualService" \
        else spec.get("rules", [])
    key = "route" if kind == "VirtualService" else "backendRefs"
    for r in rules or []:
        for d in r.get(key, []) or []:
            name = backend_name(kind, d)
            if name in changes:
                d["weight"] = changes[name]
    md = obj["metadata"]
    if changes:
        md["generation"] = md.get("generation", 1) + 1
    else:
        md.setdefault("annotations", {})["touched-by"] = "someone-else"
    md["resourceVersion"] = next_rv()


def parse_changes(q):
    changes = {}
    for item in q.get("set", []):
        name, _, w = item.rpartition(":")
        changes[name] = json.loads(w)   # any JSON number: 1.5, 1e3, 2**70
    return changes


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

    def create_event(self, ns, body):
        """POST an events.k8s.io/v1 Event: validated as the API server
        does for the fields a reporter must set, then stored."""
        try:
            ev = json.loads(body)
        except ValueError:
            self.reply(400, status(400, "BadRequest", "invalid JSON"))
            return
        errs = []
        for f in ("reportingController", "reportingInstance", "action",
                  "reason", "eventTime"):
            if not isinstance(ev.get(f), str) or not ev.get(f):
                errs.append("%s: Required value" % f)
            elif len(ev[f]) > 128 and f != "eventTime":
                errs.append("%s: Too long: must have at most 128 bytes" % f)
        if ev.get("apiVersion") != "events.k8s.io/v1" or \
                ev.get("kind") != "Event":
            errs.append("apiVersion/kind: must be events.k8s.io/v1 Event")
        if ev.get("type") not in ("Normal", "Warning"):
            errs.append("type: Unsupported value")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",
                            str(ev.get("eventTime", ""))):
            errs.append("eventTime: must be a MicroTime")
        if len(ev.get("note", "").encode()) > 1024:
            errs.append("note: Too long: must have at most 1024 bytes")
        reg = ev.get("regarding") or {}
        if not reg.get("kind") or not reg.get("name"):
            errs.append("regarding: Required value")
        md = ev.get("metadata") or {}
        if md.get("namespace", ns) != ns:
            errs.append("metadata.namespace: does not match the request")
        if errs:
            self.reply(422, status(422, "Invalid", "Event is invalid: " +
                                   ", ".join(errs)))
            return
        with LOCK:
            md["name"] = md.get("name") or "%s%05d" % (
                md.get("generateName", "event-"), len(STATE["events"]))
            md["namespace"] = ns
            md["resourceVersion"] = next_rv()
            ev["metadata"] = md
            STATE["events"].append(ev)
        self.reply(201, ev)

    def do_POST(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        m = re.fullmatch(r"/apis/events\.k8s\.io/v1/namespaces/([^/]+)/events",
                         url.path)
        if m is not None:
            who = self.record("POST", url.path, url.query, body)
            if not self.authorised(who):
                self.reply(401, status(401, "Unauthorized", "Unauthorized"))
            else:
                self.create_event(m.group(1), body)
            return
        if url.path == "/_test/gone":
            with LOCK:
                STATE["gone"] = int(q.get("n", ["1"])[0])
            self.reply(200, {"gone": STATE["gone"]})
        elif url.path == "/_test/podfail":
            mode = q.get("mode", [""])[0]
            with LOCK:
                STATE["podfail"] = [mode] * int(q.get("n", ["1"])[0])
            self.reply(200, {"podfail": STATE["podfail"]})
        elif url.path == "/_test/paging":
            with LOCK:
                STATE["paging"] = q.get("mode", [""])[0]
                STATE["paging_size"] = int(q.get("size", ["0"])[0])
            self.reply(200, {"paging": STATE["paging"]})
        elif url.path == "/_test/token":
            with LOCK:
                STATE["tokens"] = [q.get("value", [""])[0]]
            self.reply(200, {})
        elif url.path in ("/_test/weights", "/_test/race"):
            one = lambda k: q.get(k, [""])[0]
            key = (one("plural"), one("namespace"), one("name"))
            changes = parse_changes(q)
            with LOCK:
                obj = STATE["routes"].get(key)
                if obj is not None and url.path == "/_test/weights":
                    set_weights(obj, changes)
                elif obj is not None:
                    rounds = STATE["races"].setdefault(key, [])
                    for i in range(int(q.get("times", ["1"])[0])):
                        if i == len(rounds):
                            rounds.append([])
                        rounds[i].append(changes)
            if obj is None:
                self.reply(404, status(404, "NotFound", "no such route"))
            else:
                self.reply(200, obj)
        elif url.path == "/_test/testfail":
            with LOCK:
                STATE["test_fail_code"] = int(q.get("code", ["409"])[0])
            self.reply(200, {"test_fail_code": STATE["test_fail_code"]})
        elif url.path == "/_test/patchfail":
            with LOCK:
                STATE["patchfail"] = int(q.get("n", ["1"])[0])
            self.reply(200, {"patchfail": STATE["patchfail"]})
        elif url.path == "/_test/forbid":
            verb = q.get("verb", [""])[0]
            with LOCK:
                if verb == "":
                    STATE["forbid"] = {}
                else:
                    STATE["forbid"][verb] = q.get(
                        "user", ["system:serviceaccount:ops:cutover"])[0]
            self.reply(200, {})
        else:
            self.reply(405, status(405, "MethodNotAllowed",
                                   "the server does not allow this "
                                   "method on the requested resource"))

    def route_request(self, method, path, body):
        """GET or PATCH one route object; True when the path was one."""
        m = re.fullmatch(r"/apis/([^/]+)/([^/]+)/namespaces/([^/]+)/"
                         r"([^/]+)/([^/]+)", path)
        if m is None:
            return False
        group, version, ns, plural, name = m.groups()
        if plural not in ROUTE_KINDS or \
                ROUTE_KINDS[plural][:2] != (group, version):
            return False
        gr = "%s.%s" % (plural, group)
        verb = "get" if method == "GET" else "patch"
        with LOCK:
            user = STATE["forbid"].get(verb)
        if user is not None:
            self.reply(403, status(
                403, "Forbidden",
                '%s "%s" is forbidden: User "%s" cannot %s resource "%s" '
                'in API group "%s" in the namespace "%s"'
                % (gr, name, user, verb, plural, group, ns)))
            return True
        key = (plural, ns, name)
        with LOCK:
            obj = STATE["routes"].get(key)
            if obj is None:
                self.reply(404, status(404, "NotFound",
                                       '%s "%s" not found' % (gr, name)))
                return True
            if method == "GET":
                self.reply(200, obj)
                return True
            rounds = STATE["races"].get(key, [])
            for changes in rounds.pop(0) if rounds else []:
                set_weights(obj, changes)
            if not rounds:
                STATE["races"].pop(key, None)
            if STATE["patchfail"] > 0:
                STATE["patchfail"] -= 1
                self.reply(422, status(
                    422, "Invalid",
                    'admission webhook "validation.example.com" denied the '
                    "request: route weights are frozen during the change "
                    "window"))
                return True
            ctype = (self.headers.get("Content-Type") or "").split(";")[0]
            conflict = status(
                409, "Conflict",
                'Operation cannot be fulfilled on %s "%s": the object has '
                "been modified; please apply your changes to the latest "
                "version and try again" % (gr, name))
            try:
                try:
                    patch = json.loads(body or b"null")
                except ValueError as e:
                    raise PatchError(400, "BadRequest", str(e))
                new = copy.deepcopy(obj)
                if ctype == "application/json-patch+json":
                    new = json_patch(new, patch)
                elif ctype == "application/merge-patch+json":
                    new = merge_patch(new, patch)
                else:
                    raise PatchError(
                        415, "UnsupportedMediaType",
                        'the body of the request was in an unknown '
                        'format - accepted media types include: '
                        'application/json-patch+json, '
                        'application/merge-patch+json, '
                        'application/apply-patch+yaml')
                rv = new.get("metadata", {}).get("resourceVersion")
                if rv != obj["metadata"]["resourceVersion"]:
                    self.reply(409, conflict)
                    return True
                validate_route(new)
            except TestFailed as e:
                code = STATE["test_fail_code"]
                if code == 409:
                    self.reply(409, conflict)
                else:
                    self.reply(code, test_failed_status(code))
                return True
            except PatchError as e:
                self.reply(e.args[0], status(*e.args))
                return True
            if new != obj:
                if new.get("spec") != obj.get("spec"):
                    new["metadata"]["generation"] = \
                        obj["metadata"].get("generation", 1) + 1
                new["metadata"]["resourceVersion"] = next_rv()
                STATE["routes"][key] = new
            self.reply(200, new)
        return True

    def discovery(self, path):
        if not STATE["routes"]:
            return False
        if path == "/apis":
            groups = []
            for plural, (g, v, k) in sorted(ROUTE_KINDS.items()):
                gv = {"groupVersion": "%s/%s" % (g, v), "version": v}
                groups.append({"name": g, "versions": [gv],
                               "preferredVersion": gv})
            self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1",
                             "groups": groups})
            return True
        for plural, (g, v, k) in ROUTE_KINDS.items():
            if path == "/apis/%s/%s" % (g, v):
                self.reply(200, {
                    "kind": "APIResourceList", "apiVersion": "v1",
                    "groupVersion": "%s/%s" % (g, v),
                    "resources": [{
                        "name": plural, "singularName": k.lower(),
                        "namespaced": True, "kind": k,
                        "verbs": ["get", "patch"]}]})
                return True
        return False

    def record(self, method, path, query, body=None):
        who = self.who()
        entry = {"method": method, "path": path, "query": query,
                 "auth": who}
        if body is not None:
            entry["content_type"] = self.headers.get("Content-Type")
            entry["body"] = body.decode(errors="replace")
        with LOCK:
            STATE["requests"].append(entry)
            if STATE["log"] is not None:
                STATE["log"].write(json.dumps(entry) + "\n")
                STATE["log"].flush()
        return who

    def do_PATCH(self):
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        who = self.record("PATCH", path, url.query, body)
        if not self.authorised(who):
            self.reply(401, status(401, "Unauthorized", "Unauthorized"))
            return
        if not self.route_request("PATCH", path, body):
            self.reply(404, status(404, "NotFound",
                                   "the server could not find the "
                                   "requested resource"))

    def do_GET(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query, keep_blank_values=True)
        path = url.path.rstrip("/") or "/"
        if path == "/_test/object":
            one = lambda k: q.get(k, [""])[0]
            with LOCK:
                obj = STATE["routes"].get((one("plural"), one("namespace"),
                                           one("name")))
                obj = copy.deepcopy(obj)
            if obj is None:
                self.reply(404, status(404, "NotFound", "no such route"))
            else:
                self.reply(200, obj)
            return
        if path == "/_test/events":
            with LOCK:
                self.reply(200, {"items": copy.deepcopy(STATE["events"])})
            return
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
        who = self.record("GET", path, url.query)
        if not self.authorised(who):
            self.reply(401, status(401, "Unauthorized", "Unauthorized"))
            return
        if self.discovery(path) or self.route_request("GET", path, None):
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

    def pod_failure(self, ns):
        """Answer with a scripted failure; True when one was due."""
        with LOCK:
            mode = STATE["podfail"].pop(0) if STATE["podfail"] else None
        if mode is None:
            return False
        if mode == "403":
            self.reply(403, status(403, "Forbidden",
                                   'pods is forbidden: User "tester" cannot '
                                   'list resource "pods" in API group "" in '
                                   'the namespace "%s"' % ns))
        elif mode == "500":
            self.reply(500, status(500, "InternalError",
                                   "etcdserver: request timed out"))
        elif mode == "garbage":
            body = b"\x00\x01<html>definitely not a PodList"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:  # endless
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                self.wfile.write(b'{"kind": "PodList", "items": [')
                for _ in range(3000):   # 10 minutes at most
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
        return True

    def bad_paging(self, ns, q):
        """Answer a list that never ends; True when paging is scripted."""
        with LOCK:
            mode, size = STATE["paging"], STATE["paging_size"]
        if not mode:
            return False
        one = lambda k: q.get(k, [None])[0]
        limit = int(one("limit") or 0) or 1
        cont = one("continue") or ""
        page = int(cont[len("endless-"):]) \
            if cont.startswith("endless-") else 0
        n = limit if mode == "repeat" or size <= 0 else size
        items = [{"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": "pod-%d-%d" % (page, i),
                               "namespace": ns or "default"},
                  "status": {"phase": "Running"}} for i in range(n)]
        meta = {"resourceVersion": RESOURCE_VERSION,
                "continue": "again" if mode == "repeat"
                else "endless-%d" % (page + 1)}
        self.reply(200, {"kind": "PodList", "apiVersion": "v1",
                         "metadata": meta, "items": items})
        return True

    def list_pods(self, ns, q):
        if self.pod_failure(ns) or self.bad_paging(ns, q):
            return
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
    ap.add_argument("--routes")
    ap.add_argument("--test-fail-code", type=int, default=409,
                    choices=(409, 422))
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
    if a.routes:
        STATE["routes"] = load_routes(a.routes)
    STATE["test_fail_code"] = a.test_fail_code
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
