#!/bin/sh
# preflight_cli — the guide's preflight against a real Prometheus (Debian's
# prometheus, loopback, APISIX's metrics loaded with promtool) and the
# Kubernetes API test server (three gateway pods, istiod, a Gateway and a
# VirtualService for the host, the gateway's LoadBalancer Service): it
# passes on the healthy world, and each check fails alone when its piece
# is broken; an advance from stage 0 is then refused, and --force passes
# and is audited with the failing checks.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
[ -n "${PROMETHEUS:-}" ] && [ -x "$PROMETHEUS" ] || skip_all "prometheus not found"
[ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ] || skip_all "promtool not found"
plan 59

# --- APISIX's metrics: healthy, 30 req/s, 0.33 % errors; Istio's 30 req/s ---
"$PYTHON3" - "$T" <<'PY'
import sys, time
T = sys.argv[1]
step, span = 15, 40 * 60
end = int(time.time()) // step * step + 600
start = end - span
series = [("apisix_http_status", 'code="200",route="api"', 30.0),
          ("apisix_http_status", 'code="502",route="api"', 0.1)]
# The Istio gateway's own requests, for the rollback's summary.
gw = 'reporter="source",source_workload="istio-ingressgateway",source_workload_namespace="istio-system"'
series += [("istio_requests_total", gw + ',response_code="200",destination_service_name="storefront"', 19.5),
           ("istio_requests_total", gw + ',response_code="503",destination_service_name="storefront"', 0.5),
           ("istio_requests_total", gw + ',response_code="200",destination_service_name="checkout"', 10.0)]
for le, r in [("50", 10), ("100", 20), ("250", 28), ("500", 29.7),
              ("1000", 30.1), ("+Inf", 30.1)]:
    series.append(("apisix_http_latency_bucket",
                   'type="request",route="api",le="%s"' % le, r))
with open(T + "/data.om", "w") as f:
    for name in sorted(set(n for n, _, _ in series)):
        f.write("# TYPE %s unknown\n" % name)
        for n, labels, inc in series:
            if n == name:
                for t in range(start, end + 1, step):
                    f.write("%s{%s} %.6f %d\n" % (n, labels, 1000 + inc * (t - start), t))
    f.write("# EOF\n")
PY
mkdir -p "$T/data"
"$PROMTOOL" tsdb create-blocks-from openmetrics "$T/data.om" "$T/data" >"$T/promtool.log" 2>&1
printf 'global:\n  scrape_interval: 1h\n' >"$T/prometheus.yml"
PPORT=$(free_port)
"$PROMETHEUS" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
PROM_PID=$!
track $PROM_PID
wait_for 30 curl -sf "http://127.0.0.1:$PPORT/-/ready"
ok "prometheus is ready" curl -sf "http://127.0.0.1:$PPORT/-/ready"

. "$top_srcdir/tests/kubeapi.sh"
kubeapi_start --pods "$top_srcdir/tests/fixtures/preflight/pods" \
	--routes "$top_srcdir/tests/fixtures/preflight/objects" --token pf-token-1
kubeapi_kubeconfig pf-token-1

# The weights come from an exec driver reading a file: the read-back can
# be made wrong without touching the VirtualService.
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights"
SH
cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
echo "istio=0 apisix=100" >"$T/weights"
export T_DIR="$T"
cat >"$T/cutover.yaml" <<EOF
name: preflight-test
namespace: edge
host: shop.example.com
state_file: $T/state/pf.state.json
audit_log: $T/state/pf.audit.jsonl
prometheus:
  url: http://127.0.0.1:$PPORT
  timeout: 3s
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 3s
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
    timeout: 10s
pods:
  - name: gateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 3
    side: istio
  - name: istiod
    namespace: istio-system
    selector: app=istiod
    min_ready: 1
    collect_logs: true
preflight:
  virtualservice_namespace: edge
rollback:
  log_max_bytes: 4096
EOF
# One process acts (--no-guard): its refusals are judged on a refresh of
# their own, and its rollback prints the whole checklist.
C="$CUTOVER --no-guard -c $T/cutover.yaml"

# states: "name=state ..." from `preflight --json`, in the table's order.
states() {
	$C preflight --json >"$T/pf.json" 2>"$T/pf.err"
	echo "$?" >"$T/pf.rc"
	"$PYTHON3" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%s" % (k, v["state"]) for k, v in d["checks"].items()))' "$T/pf.json"
}
ALL="prometheus=pass kubernetes=pass pods=pass gateway=pass virtualservice=pass load_balancer=pass weights=pass apisix=pass probes=skipped"
# expect NAME=STATE: every check passes but that one.
expect() {
	echo "$ALL" | sed "s/$1=[a-z]*/$1=$2/"
}

like "check says it checks the file only" "$($C check)" \
	'`cutover preflight` checks the world'

$C preflight >"$T/out" 2>"$T/err"
is "a healthy world: preflight exits 0" "$?" 0
like "one line per check, the Gateway named" "$(cat "$T/out")" \
	'\[ ok \] Istio Gateway +edge/front-gateway serves shop.example.com'
like "the Service's address" "$(cat "$T/out")" \
	'\[ ok \] gateway Service +istio-system/istio-ingressgateway at 203\.0\.113\.10'
like "the probes are skipped, and say so" "$(cat "$T/out")" \
	'\[skip\] synthetic probes +no probes configured'
like "it says ready" "$(cat "$T/out")" 'preflight: ready for the first shift'
is "--json: every check passes" "$(states)" "$ALL"
is "--json: exit 0" "$(cat "$T/pf.rc")" 0
unlike "the token is never printed" "$(cat "$T/out" "$T/err" "$T/pf.json")" \
	'pf-token-1'

# --- each piece broken alone ---------------------------------------------------
GW=istio-ingressgateway-5f6d7c8b9
ctl POST "/_test/pod?namespace=istio-system&name=$GW-a1b2c&ready=false" >/dev/null
is "gateway 2/3 ready: only pods fails" "$(states)" "$(expect pods fail)"
is "  exit 4" "$(cat "$T/pf.rc")" 4
like "  the reason counts the pods" "$(cat "$T/pf.json")" \
	'gateway: 2/3 ready \(min 3\)'
ctl POST "/_test/pod?namespace=istio-system&name=$GW-a1b2c&ready=true" >/dev/null

ctl POST "/_test/pod?namespace=istio-system&name=istiod-6c7d8e9f0-k1l2m&waiting=CrashLoopBackOff&restarts=7" >/dev/null
is "istiod in CrashLoopBackOff: only pods fails" "$(states)" "$(expect pods fail)"
like "  the reason names it" "$(cat "$T/pf.json")" 'istiod: .*CrashLoopBackOff'
ctl POST "/_test/pod?namespace=istio-system&name=istiod-6c7d8e9f0-k1l2m&waiting=&restarts=0" >/dev/null
is "istiod recovered: all pass" "$(states)" "$ALL"

ctl POST "/_test/lb?namespace=istio-system&name=istio-ingressgateway" >/dev/null
is "no load-balancer address: only load_balancer fails" "$(states)" \
	"$(expect load_balancer fail)"
like "  the reason says so" "$(cat "$T/pf.json")" 'has no load-balancer address'
ctl POST "/_test/lb?namespace=istio-system&name=istio-ingressgateway&ip=203.0.113.10" >/dev/null

echo "istio=10 apisix=90" >"$T/weights"
is "read back 10/90: only weights fails" "$(states)" "$(expect weights fail)"
like "  the reason gives the weights" "$(cat "$T/pf.json")" \
	'istio 10% / apisix 90% in force, not 0 / 100'
echo "istio=0 apisix=100" >"$T/weights"

# --- the advance from stage 0 --------------------------------------------------
ctl POST "/_test/delete?plural=virtualservices&namespace=edge&name=storefront" >/dev/null
is "no VirtualService: only virtualservice fails" "$(states)" \
	"$(expect virtualservice fail)"
like "  the reason names the namespace searched" "$(cat "$T/pf.json")" \
	'no VirtualService in edge binds shop.example.com'

$C advance --yes >"$T/out" 2>"$T/err"
is "advance from stage 0 with a failing check: refused (exit 1)" "$?" 1
like "  it names the check" "$(cat "$T/err")" \
	'advance refused: preflight: virtualservice fails: no VirtualService'
is "  no driver call: still 0/100" "$(cat "$T/weights")" "istio=0 apisix=100"
audit_last() { # the last advance's audit line: its FIELD
	"$PYTHON3" -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[2])]
d = [e for e in d if e["action"] == "advance"][-1]
f = sys.argv[1]
print(d["metrics"]["preflight"]["blocking"]["virtualservice"] if f == "pf" else d.get(f))' "$1" "$T/state/pf.audit.jsonl"
}
is "  audited as refused" "$(audit_last action) $(audit_last result)" \
	"advance refused"
like "  with the failing check in its reason" "$(audit_last reason)" \
	'preflight: virtualservice fails'
is "  and the preflight in its metrics" "$(audit_last pf)" "no VirtualService in edge binds shop.example.com"
$C status >"$T/out" 2>&1
like "status shows what blocks the first shift" "$(cat "$T/out")" \
	'^preflight: +virtualservice fails'

$C advance --yes --force >"$T/out" 2>"$T/err"
is "advance --force passes (exit 0)" "$?" 0
is "  the driver moved: 10/90" "$(cat "$T/weights")" "istio=10 apisix=90"
is "  audited as started" "$(audit_last action) $(audit_last result)" \
	"advance started"
like "  forced past the preflight, named" "$(audit_last reason)" \
	'forced by the operator, past the preflight: virtualservice fails'
is "  with the preflight in its metrics" "$(audit_last pf)" "no VirtualService in edge binds shop.example.com"

# --- the rollback checklist ------------------------------------------------------
# Long logs (3000 lines, far over the cap) and a gateway pod that restarted.
ctl POST "/_test/loglines?n=3000" >/dev/null
ctl POST "/_test/pod?namespace=istio-system&name=$GW-d3e4f&restarts=2" >/dev/null
$C rollback --yes >"$T/out" 2>"$T/err"
is "rollback exits 0" "$?" 0
like "the checklist: weights read back" "$(cat "$T/out")" \
	'\[done\] weights back to 100% APISIX +istio 0% / apisix 100% read back'
like "the checklist: logs collected, the directory named" "$(cat "$T/out")" \
	'\[done\] Istio logs collected +5 logs of 4 pods in .*/state/preflight-test\.logs-'
like "the checklist: the summary by response code, from Prometheus" \
	"$(cat "$T/out")" 'by response code: 200 98\.33%, 503 1\.67%'
like "  and the 5xx rate by destination service" "$(cat "$T/out")" \
	'5xx by service: storefront 2\.50%, checkout 0\.00%'
like "  with the gates when it was decided" "$(cat "$T/out")" \
	'root cause analysed +yours; the operator rolled back; gates: '
like "the checklist: the retry is the operator's" "$(cat "$T/out")" \
	'\[you \] retry after the fix +yours: after the fix'
DIR=$(ls -d "$T"/state/preflight-test.logs-* 2>/dev/null | head -n 1)
ok "the logs' directory is next to the audit log" test -d "$DIR"
for p in a1b2c d3e4f g5h6i; do
	ok "  the log of gateway pod $p is there" test -s "$DIR/istio-system_$GW-$p.log"
done
ok "  the previous container's of the restarted pod" \
	test -s "$DIR/istio-system_$GW-d3e4f.previous.log"
ok "  istiod's (collect_logs)" test -s "$DIR/istio-system_istiod-6c7d8e9f0-k1l2m.log"
big=$(find "$DIR" -type f -size +4096c | wc -l)
is "  each capped at 4096 bytes" "$big" 0
is "  mode 0700 for the directory" "$(stat -c %a "$DIR")" 700
ok "the server was asked with sinceTime, limitBytes, previous only for the restarted pod" \
	"$PYTHON3" - "$PORT" <<'PY'
import json, sys, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:%s/_test/requests" % sys.argv[1])
qs = [(json.loads(l)["path"], json.loads(l)["query"]) for l in r.read().decode().splitlines()
      if json.loads(l)["path"].endswith("/log")]
assert len(qs) == 5, qs
assert all("sinceTime=" in q and "limitBytes=4096" in q for _, q in qs), qs
prev = [p for p, q in qs if "previous=true" in q]
assert len(prev) == 1 and "d3e4f" in prev[0], prev
PY
last_logs() {
	"$PYTHON3" -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
d = [e for e in d if e["action"] == "rollback_logs"][-1]
print(d["result"], d["reason"])' "$T/state/pf.audit.jsonl"
}
is "the summary is in the audit log" "$("$PYTHON3" -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
d = [e for e in d if e["action"] == "rollback_summary"][-1]
print("storefront 2.50%" in d["reason"] and "503 1.67%" in d["reason"])' "$T/state/pf.audit.jsonl")" True
like "the audit line names the directory" "$(last_logs)" \
	"^ok collected 5 logs of 4 pods into $DIR"
unlike "no log byte reaches the terminal: no escape, no token" \
	"$(cat "$T/out" "$T/err")" "$(printf '\033')|sk-live"
$C status --json >"$T/st.json" 2>"$T/st.err"
is "status --json shows the checklist" "$("$PYTHON3" -c '
import json, sys
d = json.load(open(sys.argv[1]))["rollback_checklist"]["items"]
print(" ".join("%s=%s" % (i["item"], i["state"]) for i in d))' "$T/st.json")" \
	"weights=done traffic=unknown logs=unknown root_cause=operator retry=operator"

# --- Prometheus down: its check fails, the APISIX health cannot be judged
kill "$PROM_PID"
wait "$PROM_PID" 2>/dev/null
$C preflight --json >"$T/pf.json" 2>"$T/pf.err"
is "Prometheus down: preflight exits 4" "$?" 4
pstate() {
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1]))["checks"]; print(" ".join(d[k]["state"] for k in sys.argv[2:]))' "$T/pf.json" "$@"
}
is "  prometheus fails, APISIX health unknown" "$(pstate prometheus apisix)" \
	"fail unknown"
is "  the Kubernetes checks still pass" \
	"$(pstate kubernetes pods gateway load_balancer)" "pass pass pass pass"
like "  the reason is Prometheus's error" "$(cat "$T/pf.json")" \
	'"reason": "[a-z0-9_]+: connection refused'
