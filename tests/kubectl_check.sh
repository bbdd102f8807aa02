#!/bin/sh
# kubectl_check — keeps tests/kubeapi.py honest: the REAL kubectl ($KUBECTL,
# else kubectl in PATH) talks to it over TLS with a generated kubeconfig
# (CA as certificate-authority-data, bearer token) and must see what the
# server holds: the label-selected pod names, the same names when paging
# with --chunk-size=2 (and the server must have seen continue requests),
# set-based selectors, and kubectl's own Unauthorized error for a wrong
# token; the Istio Gateways and VirtualServices listed, a Service's
# load-balancer address, and pod logs with --since-time, --limit-bytes
# and --previous as kubectl asks for them.  Skips (77 / TAP SKIP) without kubectl, openssl or python3.

. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

: "${KUBECTL:=$(command -v kubectl 2>/dev/null)}"
[ -n "$KUBECTL" ] && [ -x "$KUBECTL" ] || skip_all "kubectl not found"
command -v openssl >/dev/null 2>&1 || skip_all "openssl not found"
"$PYTHON3" -c 'import ssl' 2>/dev/null || skip_all "python3 with ssl missing"

plan 15

PODS="$top_srcdir/tests/fixtures/kube/pods"
TOKEN="kubectl-check-token-$$"
NS=voiceassistant-prod

# A self-signed server certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kubeapi-test" \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	-keyout "$T/server.key" -out "$T/server.crt" >"$T/openssl.log" 2>&1 ||
	skip_all "openssl cannot make a test certificate"

"$PYTHON3" "$top_srcdir/tests/kubeapi.py" --port 0 --pods "$PODS" \
	--routes "$top_srcdir/tests/fixtures/preflight/objects" \
	--token "$TOKEN" --tls-cert "$T/server.crt" \
	--tls-key "$T/server.key" >"$T/server.out" 2>"$T/server.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/server.out"
PORT=$(awk '/^ready /{print $2}' "$T/server.out")
if [ -z "$PORT" ]; then
	fail "kubeapi.py starts" "$(cat "$T/server.err")"
	exit 1
fi
pass "kubeapi.py starts with TLS on port $PORT"

kubeconfig() {	# kubeconfig FILE TOKEN
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority-data: $(base64 -w0 <"$T/server.crt")
users:
- name: tester
  user:
    token: $2
contexts:
- name: test
  context:
    cluster: test
    user: tester
    namespace: $NS
current-context: test
EOF
}
kubeconfig "$T/good.yaml" "$TOKEN"
kubeconfig "$T/bad.yaml" "wrong-$TOKEN"

# Names in a kubectl -o json answer (a List), sorted, one per line.
names() {
	"$PYTHON3" -c 'import json,sys
print("\n".join(sorted(i["metadata"]["name"] for i in json.load(sys.stdin)["items"])))'
}

# What the fixtures hold for namespace $1 and the selector $2 (a Python
# predicate over the labels dict `l`).
expected() {
	"$PYTHON3" - "$PODS" "$1" "$2" <<'EOF'
import json, os, sys
d, ns, pred = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
for f in os.listdir(d):
    if f.endswith(".json"):
        p = json.load(open(os.path.join(d, f)))
        l = p["metadata"].get("labels", {})
        if p["metadata"]["namespace"] == ns and eval(pred):
            out.append(p["metadata"]["name"])
print("\n".join(sorted(out)))
EOF
}

k() {	# k KUBECONFIG ARGS...
	cfg=$1
	shift
	"$KUBECTL" --kubeconfig "$cfg" --request-timeout=20s "$@"
}

want=$(expected "$NS" 'l.get("app") == "api"')
got=$(k "$T/good.yaml" get pods -n "$NS" -l app=api -o json 2>"$T/k1.err" | names)
is "kubectl get pods -l app=api -o json lists the server's pods" "$got" "$want"
like "  (five of them)" "$(printf '%s\n' "$got" | wc -l)" '^ *5$'

got=$(k "$T/good.yaml" get pods -n "$NS" -l app=api -o json \
	--chunk-size=2 2>"$T/k2.err" | names)
is "kubectl --chunk-size=2 pages to the same names" "$got" "$want"
after=$("$PYTHON3" - "$PORT" <<'EOF'
import json, ssl, sys, urllib.request
ctx = ssl._create_unverified_context()
r = urllib.request.urlopen("https://127.0.0.1:%s/_test/requests" % sys.argv[1],
                           context=ctx)
n = 0
for line in r.read().decode().splitlines():
    q = json.loads(line)["query"]
    if "limit=2" in q and "continue=" in q:
        n += 1
print(n)
EOF
)
is "  the server saw two continue requests (5 pods, 2 per page)" \
	"$after" "2"

want=$(expected "$NS" 'l.get("app") in ("api", "worker") and "tier" in l and l.get("tier") != "frontend"')
got=$(k "$T/good.yaml" get pods -n "$NS" \
	-l 'app in (api,worker),tier,tier!=frontend' -o json 2>"$T/k3.err" |
	names)
is "set-based selector: app in (api,worker),tier,tier!=frontend" "$got" "$want"

want=$(expected istio-system '"app" in l and "nope" not in l')
got=$(k "$T/good.yaml" get pods -n istio-system -l 'app,!nope' -o json \
	2>"$T/k4.err" | names)
is "existence selectors: app,!nope" "$got" "$want"

if k "$T/bad.yaml" get pods -n "$NS" -o json >"$T/k5.out" 2>"$T/k5.err"; then
	fail "a wrong token is refused" "kubectl succeeded"
else
	like "a wrong token gives kubectl's Unauthorized error" \
		"$(cat "$T/k5.err")" 'must be logged in to the server.*Unauthorized'
fi

# --- what the preflight and the rollback checklist read ----------------------
got=$(k "$T/good.yaml" get gateways.networking.istio.io -A -o json 2>"$T/k6.err" | names)
is "kubectl lists the Gateways of every namespace" "$got" "$(printf 'front-gateway\ninternal')"
got=$(k "$T/good.yaml" get virtualservices.networking.istio.io -n edge -o json 2>"$T/k7.err" | names)
is "kubectl lists the VirtualServices of a namespace" "$got" "storefront"
got=$(k "$T/good.yaml" get service -n istio-system istio-ingressgateway \
	-o 'jsonpath={.status.loadBalancer.ingress[0].ip}' 2>"$T/k8.err")
is "kubectl reads the Service's load-balancer address" "$got" "203.0.113.10"
POD=istio-ingressgateway-7b9c6d5f4-w5x6y
since=$("$PYTHON3" -c 'import time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600)))')
k "$T/good.yaml" logs -n istio-system "$POD" --since-time="$since" >"$T/log1" 2>"$T/k9.err"
is "kubectl logs --since-time: the last ten minutes (one line a minute)" \
	"$(grep -c 'upstream connect error' "$T/log1")" 10
k "$T/good.yaml" logs -n istio-system "$POD" --limit-bytes=100 >"$T/log2" 2>"$T/k10.err"
is "kubectl logs --limit-bytes=100: 100 bytes" "$(wc -c <"$T/log2" | tr -d ' ')" 100
if k "$T/good.yaml" logs -n istio-system "$POD" --previous >"$T/log3" 2>"$T/k11.err"; then
	fail "kubectl logs --previous of a pod that never restarted fails" "it succeeded"
else
	like "kubectl logs --previous of a pod that never restarted fails" \
		"$(cat "$T/k11.err")" 'previous terminated container "istio-proxy" in pod'
fi
ok "the server saw sinceTime, limitBytes and previous" sh -c "
	'$PYTHON3' - '$PORT' <<'EOF'
import json, ssl, sys, urllib.request
ctx = ssl._create_unverified_context()
r = urllib.request.urlopen('https://127.0.0.1:%s/_test/requests' % sys.argv[1], context=ctx)
qs = [json.loads(l)['query'] for l in r.read().decode().splitlines() if json.loads(l)['path'].endswith('/log')]
assert any('sinceTime=' in q for q in qs), qs
assert any('limitBytes=100' in q for q in qs), qs
assert any('previous=true' in q for q in qs), qs
EOF"
