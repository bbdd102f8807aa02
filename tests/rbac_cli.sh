#!/bin/sh
# rbac_cli — `cutover rbac` prints Roles (valid YAML, one per namespace)
# that allow every request cutover makes: the test runs status, advance,
# reconcile and rollback against tests/kubeapi.py with a plan that has pod
# groups in two namespaces and the kubernetes driver, and checks each
# request the server saw against the printed rules, the way the API
# server's RBAC authoriser matches them (namespace, API group, resource
# and subresource, resourceNames, verb).  A request outside the rules is
# reported (the checker is tried on one), so a new kind of request without
# its rule fails here (the plan's kubernetes-events notify target makes
# its Event requests part of what is checked).  A plan without the Kubernetes API gets no Role.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
"$PYTHON3" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml not found"
plan 14
. "$top_srcdir/tests/kubeapi.sh"

ISTIO=istio-ingressgateway.istio-system.svc.cluster.local
APISIX=apisix-gateway.apisix.svc.cluster.local
kubeapi_start --routes "$top_srcdir/tests/fixtures/kube/routes" \
	--pods "$top_srcdir/tests/fixtures/kube/pods" --token rbac-token \
	--log "$T/requests.jsonl"
kubeapi_kubeconfig rbac-token
cat >"$T/cutover.yaml" <<PLAN
name: rbac-test
namespace: voiceassistant-prod
state_file: $T/state/rbac.state.json
audit_log: $T/state/rbac.audit.jsonl
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 5s
traffic:
  driver: kubernetes
  kubernetes:
    kind: VirtualService
    namespace: edge
    name: storefront
    istio_backend: $ISTIO
    apisix_backend: $APISIX
    timeout: 5s
pods:
  - name: api
    selector: app=api
    min_ready: 1
  - name: gateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 1
notify:
  - type: kubernetes-events
PLAN
C="$CUTOVER -c $T/cutover.yaml"

$C rbac >"$T/roles.yaml" 2>"$T/err"
is "rbac exits 0" "$?" 0

# The Roles: kind, namespace and rules, one line per rule.
"$PYTHON3" - "$T/roles.yaml" >"$T/rules" 2>"$T/yaml.err" <<'PY'
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc is None:
        continue
    assert doc["apiVersion"] == "rbac.authorization.k8s.io/v1", doc
    assert doc["kind"] == "Role", doc
    ns = doc["metadata"]["namespace"]
    for r in doc["rules"]:
        print(ns, ",".join(r["apiGroups"]), ",".join(r["resources"]),
              ",".join(r.get("resourceNames", ["*"])), ",".join(r["verbs"]))
PY
is "the output is Roles in valid YAML" "$?" 0
sed 's/^/# /' "$T/yaml.err"
like "pods are listed in the application's namespace" "$(cat "$T/rules")" \
	"^voiceassistant-prod  pods \* list"
like "... and in the gateway's" "$(cat "$T/rules")" \
	"istio-system  pods \* list"
like "the route is read and patched, that object only" "$(cat "$T/rules")" \
	"edge networking.istio.io virtualservices storefront get,patch"
like "notify's Events are created in the gateway's namespace" \
	"$(cat "$T/rules")" "istio-system events.k8s.io events \* create"
unlike "no ClusterRole, nothing cluster-wide" "$(cat "$T/roles.yaml")" \
	"ClusterRole"

mkdir -p "$T/state"
$C status >/dev/null 2>&1
$C advance --yes >/dev/null 2>"$T/err"
is "advance" "$?" 0
$C reconcile >/dev/null 2>&1
$C rollback --yes >/dev/null 2>"$T/err"
is "rollback" "$?" 0

# check REQUESTS: each request the rules do not allow, one per line.
check() {
	"$PYTHON3" - "$T/rules" "$1" <<'PY'
import json, re, sys
def allowed(ns, group, res, name, verb):
    for rns, rg, rres, rnames, rverbs in rules:
        if (rns == ns and group in (rg.split(",") if rg else [""])
                and res in rres.split(",")
                and (rnames == "*" or name in rnames.split(","))
                and verb in rverbs.split(",")):
            return True
    return False
# One rule a line; the core group "" leaves an empty field.
rules = []
for l in open(sys.argv[1]):
    f = l.rstrip("\n").split(" ")
    rules.append(f)
for line in open(sys.argv[2]):
    q = json.loads(line)
    path = q["path"]
    if path.startswith("/_test") or path in ("/api", "/apis", "/version") \
            or re.match(r"^/apis/[^/]+(/[^/]+)?$", path) \
            or re.match(r"^/api/v1$", path):
        continue        # discovery: every authenticated user may
    m = re.match(r"^/api/v1/namespaces/([^/]+)/([^/]+)(?:/([^/]+)(?:/([^/]+))?)?$", path) \
        or None
    if m:
        ns, res, name, sub = m.group(1), m.group(2), m.group(3), m.group(4)
        group = ""
    else:
        m = re.match(r"^/apis/([^/]+)/[^/]+/namespaces/([^/]+)/([^/]+)(?:/([^/]+)(?:/([^/]+))?)?$", path)
        if not m:
            print("unmatched", q["method"], path); continue
        group, ns, res, name, sub = m.groups()
    if sub:
        res = res + "/" + sub
    query = q.get("query") or ""
    meth = q["method"]
    if meth == "GET":
        verb = "watch" if "watch=1" in query or "watch=true" in query \
            else ("get" if name else "list")
    else:
        verb = {"PATCH": "patch", "POST": "create", "PUT": "update",
                "DELETE": "delete"}[meth]
    if not allowed(ns, group, res, name or "", verb):
        print("denied", verb, ns, group or "core", res, name or "")
PY
}
n=$(grep -c . "$T/requests.jsonl")
ok "the server saw cutover's requests ($n)" test "$n" -gt 3
is "every request is allowed by the printed Roles" "$(check "$T/requests.jsonl")" ""
printf '%s\n' '{"method": "DELETE", "path": "/apis/networking.istio.io/v1/namespaces/edge/virtualservices/storefront", "query": ""}' >"$T/bad.jsonl"
is "a request outside the rules is reported" "$(check "$T/bad.jsonl")" \
	"denied delete edge networking.istio.io virtualservices storefront"

cat >"$T/plain.yaml" <<PLAN
name: nokube
state_file: $T/state/nokube.state.json
audit_log: $T/state/nokube.audit.jsonl
pods: []
PLAN
like "a plan that does not use the API: no Role" \
	"$($CUTOVER -c "$T/plain.yaml" rbac)" "does not use the Kubernetes API"
