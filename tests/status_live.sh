#!/bin/sh
# status_live — `cutover status --json` against a real Prometheus (Debian's
# prometheus, loopback port, throwaway data dir, data generated here and
# loaded with promtool) and the Kubernetes API test server: every number
# must match what this script computes independently from the scenario,
# within 0.1%.  Then the failure modes: Prometheus stopped, and a server
# that accepts connections and never answers — status must end within its
# timeout, name the error per source, and exit non-zero.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
[ -n "${PROMETHEUS:-}" ] && [ -x "$PROMETHEUS" ] || skip_all "prometheus not found"
[ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ] || skip_all "promtool not found"
plan 31

# --- the scenario and its expected values ----------------------------------
"$PYTHON3" - "$T" <<'PY'
import json, sys, time
T = sys.argv[1]
step, span = 15, 40 * 60
# The data runs 10 minutes past now: however long the loading and the
# start-up take on a busy machine, the 5m windows asked for stay full.
end = int(time.time()) // step * step + 600
start = end - span
gw = 'reporter="source",source_workload="istio-ingressgateway",source_workload_namespace="istio-system"'
series = []   # (name, labels, per-second increase)
series.append(("istio_requests_total", gw + ',response_code="200"', 19.9))
series.append(("istio_requests_total", gw + ',response_code="503"', 0.1))
dst = 'reporter="destination",destination_workload_namespace="voiceassistant-prod"'
series.append(("istio_requests_total", dst + ',response_code="200",connection_security_policy="mutual_tls"', 9.0))
series.append(("istio_requests_total", dst + ',response_code="200",connection_security_policy="none"', 1.0))
# cumulative bucket rates (le -> req/s)
ib = [("50", 2), ("100", 8), ("250", 14), ("500", 18), ("1000", 19.5), ("2500", 20), ("+Inf", 20)]
for le, r in ib:
    series.append(("istio_request_duration_milliseconds_bucket", gw + ',le="%s"' % le, r))
series.append(("apisix_http_status", 'code="200",route="api"', 30.0))
series.append(("apisix_http_status", 'code="502",route="api"', 0.3))
ab = [("50", 10), ("100", 20), ("250", 28), ("500", 29.7), ("1000", 30.3), ("+Inf", 30.3)]
for le, r in ab:
    series.append(("apisix_http_latency_bucket", 'type="request",route="api",le="%s"' % le, r))

with open(T + "/data.om", "w") as f:
    for name in sorted(set(n for n, _, _ in series)):
        f.write("# TYPE %s unknown\n" % name)
        for n, labels, inc in series:
            if n != name:
                continue
            for t in range(start, end + 1, step):
                f.write("%s{%s} %.6f %d\n" % (n, labels, 1000 + inc * (t - start), t))
    f.write("# EOF\n")

def quantile(q, buckets):
    total = buckets[-1][1]
    rank = q * total
    lo, prev = 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == "+Inf":
                return lo
            return lo + (float(le) - lo) * (rank - prev) / (c - prev)
        lo, prev = float(le), c

exp = {
    "istio_error_rate": 0.1 / 20.0,
    "istio_request_rate": 20.0,
    "istio_availability": 19.9 / 20.0,
    "istio_p95_ms": quantile(0.95, ib),
    "mtls_coverage": 9.0 / 10.0,
    "apisix_error_rate": 0.3 / 30.3,
    "apisix_request_rate": 30.3,
    "apisix_p95_ms": quantile(0.95, ab),
}
json.dump(exp, open(T + "/expected.json", "w"))
PY
mkdir -p "$T/data"
"$PROMTOOL" tsdb create-blocks-from openmetrics "$T/data.om" "$T/data" >"$T/promtool.log" 2>&1
ok "promtool loads the scenario" test -n "$(ls "$T/data")"

printf 'global:\n  scrape_interval: 1h\n' >"$T/prometheus.yml"
PPORT=$(free_port)
"$PROMETHEUS" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
PPID_=$!
track $PPID_
wait_for 30 curl -sf "http://127.0.0.1:$PPORT/-/ready"
ok "prometheus is ready" curl -sf "http://127.0.0.1:$PPORT/-/ready"

"$PYTHON3" "$top_srcdir/tests/kubeapi.py" --port 0 \
	--pods "$top_srcdir/tests/fixtures/kube/pods" --token secret-token-1 \
	>"$T/kube.out" 2>"$T/kube.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/kube.out"
KPORT=$(awk '/^ready /{print $2}' "$T/kube.out")
ok "kubeapi.py is ready" test -n "$KPORT"

cat >"$T/kubeconfig" <<EOF2
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: test
  cluster:
    server: http://127.0.0.1:$KPORT
contexts:
- name: test
  context: {cluster: test, user: test}
users:
- name: test
  user:
    token: secret-token-1
EOF2
plan_file() { # plan_file URL
	cat <<EOF2
name: live
namespace: voiceassistant-prod
refresh: 15s
prometheus:
  url: $1
  timeout: 3s
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 3s
pods:
  - name: gateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 2
    side: istio
  - name: api
    namespace: voiceassistant-prod
    selector: app=api
    min_ready: 3
    sidecar: required
EOF2
}
plan_file "http://127.0.0.1:$PPORT" >"$T/plan.yaml"

$CUTOVER -c "$T/plan.yaml" status --json >"$T/status.json" 2>"$T/status.err"
is "status exits 0 with both sources up" "$?" 0

"$PYTHON3" - "$T/status.json" "$T/expected.json" >"$T/compare" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
exp = json.load(open(sys.argv[2]))
for k, want in sorted(exp.items()):
    got = st["metrics"][k]["value"]
    ok = got is not None and abs(got - want) <= 0.001 * abs(want)
    print("%s %s got=%r want=%r" % ("ok" if ok else "BAD", k, got, want))
PY
while read -r verdict key rest; do
	is "$key matches the scenario within 0.1% ($rest)" "$verdict" ok
done <"$T/compare"

# Pods: computed here from the fixtures, independently of cutover.
"$PYTHON3" - "$T/status.json" "$top_srcdir/tests/fixtures/kube/pods" >"$T/pods" <<'PY'
import json, os, sys
st = json.load(open(sys.argv[1]))
pods = [json.load(open(os.path.join(sys.argv[2], f))) for f in sorted(os.listdir(sys.argv[2]))]
def want(ns, app):
    sel = [p for p in pods if p["metadata"].get("namespace") == ns and p["metadata"].get("labels", {}).get("app") == app]
    ready = sum(1 for p in sel if not p["metadata"].get("deletionTimestamp") and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in p.get("status", {}).get("conditions", [])))
    return len(sel), ready
got = {g["name"]: g for g in st["pods"]}
for name, ns, app in (("gateway", "istio-system", "istio-ingressgateway"), ("api", "voiceassistant-prod", "api")):
    total, ready = want(ns, app)
    g = got[name]
    print("%s %s total=%s/%s ready=%s/%s" % ("ok" if (g.get("source"), g.get("total"), g.get("ready")) == ("ok", total, ready) else "BAD",
          name, g.get("total"), total, g.get("ready"), ready))
PY
while read -r verdict key rest; do
	is "pods of $key match the fixtures ($rest)" "$verdict" ok
done <"$T/pods"
is "status --json: each group's sidecar_ready and verdict" "$("$PYTHON3" -c '
import json, sys
st = json.load(open(sys.argv[1]))
print(" ".join("%s:%s:%s" % (g["name"], type(g.get("sidecar_ready")).__name__, g.get("verdict")) for g in st["pods"]))' "$T/status.json")" \
	"gateway:int:pass api:int:fail"
# The text status reads as the dashboard does: percentages, milliseconds,
# and each group's verdict.
$CUTOVER -c "$T/plan.yaml" status >"$T/status.txt" 2>&1
like "status: the error rate as a percentage" "$(cat "$T/status.txt")" \
	'istio_error_rate +0\.50% '
like "status: P95 in milliseconds" "$(cat "$T/status.txt")" \
	'istio_p95_ms +833 ms '
like "status: the board's P50 in milliseconds too, not as a percentage" \
	"$(cat "$T/status.txt")" 'istio_p50_ms +[0-9]+ ms '
like "status: each pod group's verdict" "$(cat "$T/status.txt")" \
	'pods gateway +ok +2/2 ready'
unlike "the bearer token is not printed" "$(cat "$T/status.json" "$T/status.err")" "secret-token-1"

# The dashboard in a real terminal shows the same numbers.
if [ -n "${TMUX_BIN:-}" ] && [ -x "$TMUX_BIN" ]; then
	TM="$TMUX_BIN -L cutover-live-$$ -f /dev/null"
	trap '$TM kill-server 2>/dev/null; cleanup' EXIT
	$TM new-session -d -s live -x 100 -y 30 \
		"LANG=C.UTF-8 TERM=xterm-256color $CUTOVER -c $T/plan.yaml; sleep 30"
	wait_for 20 sh -c "$TM capture-pane -p -t live | grep -q '^error rate .*0\.50%'"
	screen=$($TM capture-pane -p -t live)
	like "dashboard: Istio error rate 0.50% beside APISIX 0.99%" "$screen" '^error rate +0\.50% .* 0\.99% '
	like "dashboard: P95 833 ms beside 365 ms" "$screen" '^P95 latency +833 ms .* 365 ms '
	like "dashboard: measured split from the two gateways' rates" "$screen" '^measured +istio +39\.8% '
	like "dashboard: pod groups from the API server" "$screen" '^gateway +2/2 min 2'
	$TM kill-server 2>/dev/null
else
	for i in 1 2 3 4; do skip_one "dashboard check $i" "no tmux"; done
fi

# The same run under valgrind (plain builds only; .ci/run has one).
if [ "${ENABLE_ASAN:-no}" != yes ] && [ -n "${VALGRIND:-}" ] && [ -x "$VALGRIND" ]; then
	"$VALGRIND" --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
		--log-file="$T/vg.log" $CUTOVER -c "$T/plan.yaml" status --json >"$T/vg.json" 2>&1
	is "valgrind: status against both servers exits 0" "$?" 0
	is "valgrind: no errors, no leaks" "$(cat "$T/vg.log")" ""
elif [ "${ENABLE_ASAN:-no}" = yes ]; then
	pass "valgrind: status against both servers # SKIP sanitizer build"
	pass "valgrind: no errors, no leaks # SKIP sanitizer build"
else
	skip_one "valgrind: status against both servers" "no valgrind"
	skip_one "valgrind: no errors, no leaks" "no valgrind"
fi

# Prometheus stopped: bounded, named, non-zero.  Asked now, not through
# the guard the dashboard above left (it answers from its last round).
kill $PPID_
wait $PPID_ 2>/dev/null
start=$(date +%s)
$CUTOVER -c "$T/plan.yaml" status --no-guard >"$T/down.out" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
is "prometheus down: exit 3" "$rc" 3
like "prometheus down: the error is named per query" "$(cat "$T/down.out")" "istio_error_rate .*connection refused"

# A server that accepts connections and never answers.
"$PYTHON3" "$top_srcdir/tests/silentd.py" >"$T/hang.out" 2>"$T/hang.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/hang.out"
HPORT=$(awk '/^ready /{print $2}' "$T/hang.out")
plan_file "http://127.0.0.1:$HPORT/hang" >"$T/hang.yaml"
start=$(date +%s)
$CUTOVER -c "$T/hang.yaml" status --no-guard >"$T/hang.txt" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
is "prometheus hanging: exit 3" "$rc" 3
like "prometheus hanging: the timeout is named" "$(cat "$T/hang.txt")" "istio_p95_ms .*timed out"
ok "prometheus hanging: status ends within its timeout (took ${took}s)" test "$took" -le 8
