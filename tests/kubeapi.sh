# Shell helpers for the tests that run the Kubernetes API test server
# (tests/kubeapi.py).  Source after tests/lib.sh and after `plan N`:
#   kubeapi_start ARGS...       start it (one TAP line), set PORT
#   kubeapi_kubeconfig TOKEN [CONTEXT]
#                               write $T/kubeconfig for it (context "test")
#   kroute_setup NAME TOKEN     the route fixtures, a kubeconfig and a plan
#                               ($T/cutover.yaml, state under $T/state)
#                               driving the VirtualService edge/storefront;
#                               sets ISTIO, APISIX, Q and C
# and, for route tests, ctl, weights, patches, json and count_audit.

kubeapi_start() {
	"$PYTHON3" "$top_srcdir/tests/kubeapi.py" --port 0 "$@" \
		>"$T/server.out" 2>"$T/server.err" &
	track $!
	wait_for 10 grep -q '^ready ' "$T/server.out"
	PORT=$(awk '/^ready /{print $2}' "$T/server.out")
	if [ -z "$PORT" ]; then
		fail "kubeapi.py starts" "$(cat "$T/server.err")"
		exit 1
	fi
	pass "kubeapi.py starts on port $PORT"
}

kubeapi_kubeconfig() {
	cat >"$T/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
current-context: "${2:-test}"
clusters:
- name: local
  cluster: {server: "http://127.0.0.1:$PORT"}
contexts:
- name: "${2:-test}"
  context: {cluster: local, user: operator}
users:
- name: operator
  user: {token: "$1"}
KUBECONFIG
	chmod 600 "$T/kubeconfig"
}

kroute_setup() {
	ISTIO=istio-ingressgateway.istio-system.svc.cluster.local
	APISIX=apisix-gateway.apisix.svc.cluster.local
	Q="plural=virtualservices&namespace=edge&name=storefront"
	kubeapi_start --routes "$top_srcdir/tests/fixtures/kube/routes" \
		--token "$2"
	kubeapi_kubeconfig "$2"
	cat >"$T/cutover.yaml" <<PLAN
name: $1
state_file: $T/state/kube.state.json
audit_log: $T/state/kube.audit.jsonl
kubernetes:
  kubeconfig: $T/kubeconfig
traffic:
  driver: kubernetes
  kubernetes:
    kind: VirtualService
    namespace: edge
    name: storefront
    istio_backend: $ISTIO
    apisix_backend: $APISIX
    timeout: 5s
pods: []
PLAN
	C="$CUTOVER -c $T/cutover.yaml"
}

# ctl METHOD PATH: the server's test controls (no auth needed); ctl_at
# PORT METHOD PATH: another test server's.
ctl() {
	ctl_at "$PORT" "$1" "$2"
}

ctl_at() {
	"$PYTHON3" - "$1" "$2" "$3" <<'PY'
import sys, urllib.request
port, method, path = sys.argv[1:4]
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
                             method=method, data=b"" if method == "POST" else None)
sys.stdout.write(urllib.request.urlopen(req).read().decode())
PY
}

# The split route's weights on the server: "istio apisix".
weights() {
	ctl GET "/_test/object?$Q" | "$PYTHON3" -c '
import json, sys
o = json.load(sys.stdin)
w = {d["destination"]["host"]: d.get("weight") for d in o["spec"]["http"][1]["route"]}
print(w[sys.argv[1]], w[sys.argv[2]])' "$ISTIO" "$APISIX"
}

patches() {
	ctl GET /_test/requests | grep -c '"method": "PATCH"'
}

json() { # json FILE EXPR
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

count_audit() { # count_audit ACTION [RESULT]
	"$PYTHON3" - "$T/state/kube.audit.jsonl" "$1" "${2:-}" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["action"] == sys.argv[2] and (not sys.argv[3] or d["result"] == sys.argv[3]):
        n += 1
print(n)
PY
}
