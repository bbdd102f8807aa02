#!/bin/sh
# kdrift_cli — weights changed outside cutover between two commands (a
# GitOps revert, another operator) are drift, with the kubernetes driver
# against tests/kubeapi.py: the next advance is refused, names the weights
# in force and sends no PATCH (the outside change stands); `reconcile`
# adopts the stage in force, after which an advance goes on from there;
# --force takes the operator's word.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
"$PYTHON3" -c 'import json' 2>/dev/null || skip_all "python3 not found"
plan 15

TOKEN="kdrift-s3cret-$$"
ISTIO=istio-ingressgateway.istio-system.svc.cluster.local
APISIX=apisix-gateway.apisix.svc.cluster.local
Q="plural=virtualservices&namespace=edge&name=storefront"

"$PYTHON3" "$top_srcdir/tests/kubeapi.py" --port 0 \
	--routes "$top_srcdir/tests/fixtures/kube/routes" --token "$TOKEN" \
	>"$T/server.out" 2>"$T/server.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/server.out"
PORT=$(awk '/^ready /{print $2}' "$T/server.out")
if [ -z "$PORT" ]; then
	fail "kubeapi.py starts" "$(cat "$T/server.err")"
	exit 1
fi
pass "kubeapi.py starts on port $PORT"

cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: local
  cluster: {server: "http://127.0.0.1:$PORT"}
contexts:
- name: test
  context: {cluster: local, user: operator}
users:
- name: operator
  user: {token: "$TOKEN"}
EOF
chmod 600 "$T/kubeconfig"
cat >"$T/cutover.yaml" <<EOF
name: kube-drift
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
EOF
C="$CUTOVER -c $T/cutover.yaml"

# ctl METHOD PATH: the server's test controls (no auth needed).
ctl() {
	"$PYTHON3" - "$PORT" "$1" "$2" <<'PY'
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

# Nothing applied yet (stage 0), and someone else moves 25% to Istio.
ctl POST "/_test/weights?$Q&set=$ISTIO:25&set=$APISIX:75" >/dev/null
$C advance --yes >"$T/out" 2>"$T/err"
is "advance on drift is refused" "$?" 1
like "it says what is in force" "$(cat "$T/err")" \
	"istio 25% / apisix 75%, read back\) are not the state file's \(istio 0%, stage 0\)"
like "and how to get out" "$(cat "$T/err")" "run .cutover reconcile. to adopt them, or advance with --force"
is "no PATCH: the outside change stands" "$(patches) $(weights)" "0 25 75"
is "audit: the refusal" "$(count_audit advance refused)" 1

$C status --json >"$T/status.json" 2>"$T/err"
is "status --json shows the drift" "$(json "$T/status.json" 'd["drift"], d["read_back"]["istio"]')" "(True, 25)"

$C reconcile >"$T/out" 2>"$T/err"
is "reconcile adopts the weights in force" "$?" 0
is "state: stage 2 at 25%, holding" \
	"$(json "$T/state/kube.state.json" 'd["state"]["stage"], d["state"]["applied"]["istio"], d["state"]["phase"]')" \
	"(2, 25, 'holding')"
is "audit: reconcile ok" "$(count_audit reconcile ok)" 1
is "still no PATCH" "$(patches)" 0

$C advance --yes --force >"$T/out" 2>"$T/err"
is "the next advance goes on from stage 2" "$?" 0
is "server: 50/50, one PATCH" "$(patches) $(weights)" "1 50 50"

# Drift again; --force is the operator's decision.
ctl POST "/_test/weights?$Q&set=$ISTIO:10&set=$APISIX:90" >/dev/null
$C advance --yes --force >"$T/out" 2>"$T/err"
is "a forced advance on drift goes" "$?" 0
is "server: 75/25" "$(patches) $(weights)" "2 75 25"
