#!/bin/sh
# guard_prom — the guard alone keeps the gates, against a real Prometheus
# (Debian's prometheus on a loopback port, a throwaway data dir) and the
# Kubernetes API test server, with the kubernetes driver patching the
# VirtualService there.  The traffic is tests/trafficd.py: a service whose
# requests follow the VirtualService's weights; its last 30 minutes are
# backfilled with promtool, Prometheus scrapes it every second from then
# on, and the test turns on Istio's error spike when it chooses.
# The guard is started, a dashboard attaches in tmux and advances to
# stage 1, the error rate is fine there; the tmux server is killed
# (SIGHUP to the dashboard) before the spike.  Then the spike comes and the
# guard, with nobody watching, rolls back after the plan's consecutive
# breaches: the audit log has the automatic rollback by the guard's pid,
# with the error rate it judged above the limit and the breaches counted
# (metrics.consecutive),
# the VirtualService is back at istio 0, and the Istio traffic falls away
# (the rollback verified).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require
[ -n "${PROMETHEUS:-}" ] && [ -x "$PROMETHEUS" ] || skip_all "prometheus not found"
[ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ] || skip_all "promtool not found"
plan 27
. "$top_srcdir/tests/kubeapi.sh"
. "$top_srcdir/tests/traffic.sh"

TOKEN="guard-prom-s3cret-$$"
kubeapi_start --pods "$top_srcdir/tests/fixtures/kube/pods" \
	--routes "$top_srcdir/tests/fixtures/kube/routes" --token "$TOKEN"
kubeapi_kubeconfig "$TOKEN"
traffic_start

cat >"$T/cutover.yaml" <<EOF
name: guard-prom
state_file: $T/state/gp.state.json
audit_log: $T/state/gp.audit.jsonl
refresh: 2s
prometheus:
  url: http://127.0.0.1:$PPORT
  timeout: 5s
# Four scrapes and more, short enough that the test is quick.
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
  - name: gateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 2
    side: istio
# Availability is one minus the error rate: the same line as the error
# rate's: once both see the spike, the error rate (judged first) decides.
stage_defaults:
  min_availability: 99%
rollback:
  automatic: true
  consecutive: 3
  verify_timeout: 2m
guard:
  grace: 60s
EOF
C="$CUTOVER -c $T/cutover.yaml"
AUDIT="$T/state/gp.audit.jsonl"

guard_start $C >"$T/gs.out"
ok "the guard starts" kill -0 "${GUARD_PID:-none}"
tmux_start 100 30 "$C"
if tmux_wait 15 "guard: pid $GUARD_PID \(attached\)"; then
	pass "a dashboard attaches to the guard"
else
	fail "a dashboard attaches to the guard" "$(tmux_diag)"
fi
DASH=$(tmux_wait_cutover_pid 5)
# The guard's preflight, as its event log on the screen says.
if tmux_wait 60 'preflight: every check passes'; then
	pass "the guard's preflight passes"
else
	fail "the guard's preflight passes" "$(tmux_diag)"
fi
tmux_keys n
if tmux_wait 10 'Advance to stage 1\?'; then
	pass "n asks to advance to stage 1"
else
	fail "n asks to advance to stage 1" "$(tmux_diag)"
fi
tmux_yes "ticket CHG-12"
if tmux_wait 20 'stage 1/5 HOLDING'; then
	pass "the dashboard advances to stage 1"
else
	fail "the dashboard advances to stage 1" "$(tmux_diag)"
fi
is "the driver moved the VirtualService: istio 10 / apisix 90" \
	"$(weights)" "10 90"

# Fine at first: the guard judges stage 1's gates and they pass.
if tmux_wait 20 '^gates pass'; then
	pass "at stage 1 the gates pass"
else
	fail "at stage 1 the gates pass" "$(tmux_diag)"
fi
like "... the Istio error rate under its limit" "$TMUX_SCREEN" \
	'^error rate +0\.05% +<=1\.00% '

# The terminal goes (an ssh drop): SIGHUP to the dashboard, before the spike.
tmux_cleanup
dash_gone() { [ -n "$DASH" ] && wait_gone 10 "$DASH"; }
ok "the tmux session killed: the dashboard ends" dash_gone
ok "... the guard goes on" kill -0 "$GUARD_PID"
ok "... the detached dashboard wrote nothing to the guard's audit log" \
	sh -c "! grep -q dashboard_exit '$AUDIT'"
weights_are() { [ "$(weights)" = "$1 $2" ]; }
ok "... and nothing was rolled back yet" \
	sh -c "! grep -q rollback '$AUDIT'"
ok "... the VirtualService still at istio 10 / apisix 90" weights_are 10 90

# The spike: a fifth of Istio's requests fail from now on.
tctl POST "/_test/errors?istio=0.2" >/dev/null
wait_file 40 "$AUDIT" '"action":"auto_rollback"'
wait_for 10 weights_are 0 100
ok "the driver put the VirtualService back: istio 0 / apisix 100" \
	weights_are 0 100
# The Istio traffic falls away with the weights: the rollback is verified.
wait_file 40 "$AUDIT" '"action":"rollback_verified"'
"$PYTHON3" - "$AUDIT" >"$T/auto.out" 2>&1 <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["action"] == "rollback_verified":
        print(d["action"], "pid", d["actor"]["pid"], "result", d["result"])
    if d["action"] in ("breach", "auto_rollback"):
        m = d["metrics"]
        g = m["gates"]["error_rate"]
        print(d["action"], "pid", d["actor"]["pid"],
              "stage", d["stage_from"], "to", d["to"]["istio"],
              "verdict", m["verdict"], "by", m.get("decided_by"),
              "error_rate", g["verdict"],
              # over the limit, and no more than the spike's share
              "above" if g["limit"] < g["value"] <= 0.2 else "outside",
              "%.4f" % g["value"], "consecutive", m.get("consecutive"))
PY
AUTO=$(grep '^auto_rollback ' "$T/auto.out")
like "the guard alone rolls back: the automatic rollback from stage 1" \
	"$AUTO" "^auto_rollback pid [0-9]+ stage 1 to 0 verdict fail "
like "... by the guard's process" "$AUTO" "^auto_rollback pid $GUARD_PID "
like "... with the error rate judged, above the limit" "$AUTO" \
	" by error_rate error_rate fail above 0\.[0-9]+ "
like "... after the plan's 3 consecutive breaches" "$AUTO" " consecutive 3$"
# Each query is answered at its own instant: the first breach may be
# judged on availability (one minus the error rate) a scrape before the
# error rate sees the spike.
like "the first breach, by the guard at stage 1, on the spike" \
	"$(grep '^breach ' "$T/auto.out")" \
	"^breach pid $GUARD_PID stage 1 to 10 verdict fail by (error_rate|availability) "
like "the Istio traffic falls away: the guard verifies the rollback" \
	"$(grep '^rollback_verified ' "$T/auto.out")" \
	"^rollback_verified pid $GUARD_PID result ok$"
is "two PATCHes in all: the advance and the rollback" "$(patches)" 2
unlike "the bearer token is in no audit line" "$(cat "$AUDIT")" "$TOKEN"
