#!/bin/sh
# ui_readme — the README's 80x24 capture, taken from a realistic world
# and checked for what the README says of it: a real Prometheus (Debian's
# prometheus on a loopback port) holding the traffic of both gateways
# (tests/trafficd.py, its last 30 minutes backfilled with promtool, then
# scraped every second), an EKS context and the five pod groups of
# ui_screen.sh from the Kubernetes API test server (api and istiod
# failing), and the kubernetes driver on its VirtualService, as
# guard_prom.sh builds it.  The dashboard advances to stage 1; once every
# metric row has numbers for both sides and the gates are judged, the
# screen is captured.  With README_CAPTURE=PATH the capture is written
# there.  Every wait is on the screen's or a server's state.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require
[ -n "${PROMETHEUS:-}" ] && [ -x "$PROMETHEUS" ] || skip_all "prometheus not found"
[ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ] || skip_all "promtool not found"
plan 27
. "$top_srcdir/tests/kubeapi.sh"
. "$top_srcdir/tests/traffic.sh"

TOKEN="ui-readme-s3cret-$$"
ARN="arn:aws:eks:eu-west-1:111222333444:cluster/ExampleCluster"
kubeapi_start --pods "$top_srcdir/tests/fixtures/kube/pods" \
	--routes "$top_srcdir/tests/fixtures/kube/routes" --token "$TOKEN"
kubeapi_kubeconfig "$TOKEN" "$ARN"
traffic_start --namespace voiceassistant-prod

cat >"$T/cutover.yaml" <<EOF
name: storefront-ingress-migration
namespace: voiceassistant-prod
state_file: $T/state/readme.state.json
audit_log: $T/state/readme.audit.jsonl
refresh: 2s
prometheus:
  url: http://127.0.0.1:$PPORT
  timeout: 5s
queries:
  window: 10s
gates:
  max_age: 10s
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 3s
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
  - name: istio-ingressgateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 2
    side: istio
  - name: api
    namespace: voiceassistant-prod
    selector: app=api
    min_ready: 3
    sidecar: required
  - name: legacy
    namespace: voiceassistant-prod
    selector: app=legacy
    min_ready: 1
  - name: worker
    namespace: voiceassistant-prod
    selector: app=worker
    min_ready: 1
  - name: istiod
    namespace: istio-system
    selector: app=istiod
    min_ready: 1
    side: istio
rollback:
  automatic: false
EOF
C="$CUTOVER -c $T/cutover.yaml"

guard_start $C >"$T/gs.out"
ok "the guard starts" kill -0 "${GUARD_PID:-none}"
tmux_start 80 24 "$C"
if tmux_wait 20 'stage 0/5 READY'; then
	pass "the dashboard shows stage 0"
else
	fail "the dashboard shows stage 0" "$(tmux_diag)"
fi
like "the context shows its cluster's name" \
	"$(printf '%s\n' "$TMUX_SCREEN" | sed -n 1p)" 'ctx Example'
# A pod in CrashLoopBackOff and istiod with no pods fail the preflight:
# the advance asks for the typed confirmation.
tmux_keys n
if tmux_wait 10 "Type 'advance'"; then
	pass "n asks for the typed confirmation"
else
	fail "n asks for the typed confirmation" "$(tmux_diag)"
fi
tmux_type advance
tmux_keys Enter
tmux_wait 10 'Reason for the advance' >/dev/null
tmux_type "CHG-1234"
tmux_keys Enter
if tmux_wait 20 'stage 1/5 '; then
	pass "the dashboard advances to stage 1"
else
	fail "the dashboard advances to stage 1" "$(tmux_diag)"
fi
is "the driver moved the VirtualService: istio 10 / apisix 90" \
	"$(weights)" "10 90"

# Numbers on every metric row for both sides, the gates judged (the
# alarm raised), and a full window (10s) of traffic at the new weights:
# Istio near 10/s.
N='[0-9]+(\.[0-9]+)?'
measured() {
	printf '%s\n' "$TMUX_SCREEN" | grep -Eq "^error rate +$N% +<=1\.00% .* $N% +[0-9]+s *$" &&
	printf '%s\n' "$TMUX_SCREEN" | grep -Eq "^P95 latency +$N ms +<=2000 ms .* $N ms +[0-9]+s *$" &&
	printf '%s\n' "$TMUX_SCREEN" | grep -Eq "^availability +$N% +>=99\.90% " &&
	printf '%s\n' "$TMUX_SCREEN" | grep -Eq "^mTLS +$N% " &&
	printf '%s\n' "$TMUX_SCREEN" | grep -Eq "^requests +(9\.[0-9]+|1[01](\.[0-9]+)?)/s +>=0\.10/s .* $N/s +[0-9]+s *$" &&
	printf '%s\n' "$TMUX_SCREEN" | grep -Eq '^gates (pass|fail)' &&
	printf '%s\n' "$TMUX_SCREEN" | grep -q 'ALARM: gate failing and automatic rollback is off'
}
i=0
while :; do
	tmux_screen >/dev/null
	measured && break
	[ $i -ge 600 ] && break
	sleep 0.1
	i=$((i + 1))
done
if measured; then
	pass "every metric row has numbers for both gateways"
else
	fail "every metric row has numbers for both gateways" "$(tmux_diag)"
fi
SCREEN=$TMUX_SCREEN
if [ -n "${README_CAPTURE:-}" ]; then
	printf '%s\n' "$SCREEN" >"$README_CAPTURE"
fi
line1=$(printf '%s\n' "$SCREEN" | sed -n 1p)
like "header: the plan, stage 1/5, phase, hold countdown and clock" "$line1" \
	'^cutover storefront-.* stage 1/5 BREACH  hold paused [0-9hms]+ +[0-9][0-9]:[0-9][0-9]Z +[0-9][0-9]:[0-9][0-9] local$'
unlike "no metric row says no data" "$SCREEN" 'no data'
like "the Istio error rate, under its limit" "$SCREEN" \
	'^error rate +0\.0[0-9]% +<=1\.00% '
like "the APISIX error rate beside it" "$SCREEN" '^error rate .* 0\.[0-9]+% +[0-9]+s *$'
like "P95 latency on both sides, about 430 ms" "$SCREEN" \
	'^P95 latency +4[0-9][0-9] ms +<=2000 ms .* 4[0-9][0-9] ms '
like "availability within its limit" "$SCREEN" '^availability +99\.9[0-9]% +>=99\.90% '
like "the requests on both sides" "$SCREEN" '^requests +[0-9.]+/s .* [0-9.]+/s '
like "the measured split follows the applied one" "$SCREEN" \
	'^measured +istio +(9\.[0-9]|1[01]\.[0-9])% .* (8[89]|9[01])\.[0-9]% apisix (9[0-9]|10[0-9])\.[0-9] req/s in all'
like "mTLS: the sidecars' requests from the Istio gateway, about 10%" \
	"$SCREEN" '^mTLS +(9\.[0-9]+|1[01]\.[0-9]+)% '
like "the gates verdict: the pods of api fail" "$SCREEN" \
	'^gates fail: pods api: 2/5 ready \(min 3\)'
like "... counted as breaches, never past the count as 6/3" "$SCREEN" \
	'^gates fail: .*\((breach [0-3]/3|[0-9]+ in a row), auto rollback off\)'
like "the alarm asks for r, automatic rollback being off" "$SCREEN" \
	'ALARM: gate failing and automatic rollback is off - press r'
is "the failing groups come first" \
	"$(printf '%s\n' "$SCREEN" | grep -A2 '^group ' | sed -n '2,3p' |
	awk '{print $1}' | tr '\n' ' ')" "api istiod "
like "the pods pane counts the groups it hides" "$SCREEN" \
	'\+2 groups \(Tab, j/k\)'
unlike "the bearer token is nowhere on the screen" "$SCREEN" "$TOKEN"
