#!/bin/sh
# ui_audit — what the record proves: the first advance and a pause carry
# the values they were taken on; the dashboard asks for a reason (a change
# ticket) after a yes and records it; a dashboard ended by SIGHUP says so;
# `cutover log` shows each line's deciding value; require_reason makes
# the reason mandatory on the dashboard and for `cutover advance`; a
# command refused by the lock is recorded.  The dashboard is the one
# process that acts (--no-guard): its exit and its lock are on the record.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 18

AUDIT="$XDG_STATE_HOME/cutover/demo.audit.jsonl"

# audit_get ACTION EXPR: EXPR (python, on the last line `d` with ACTION).
audit_get() {
	[ -f "$2" ] || { echo "no audit log"; return; }
	"$PYTHON3" - "$1" "$2" "$3" <<'EOF'
import json, sys
action, path, expr = sys.argv[1:4]
d = None
for line in open(path):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("action") == action:
        d = j
try:
    print(eval(expr) if d is not None else "no %s line" % action)
except Exception as e:
    print("error: %r" % e)
EOF
}

rm -rf "$XDG_STATE_HOME/cutover"
tmux_start 80 24 "$CUTOVER --demo --no-guard --no-autopilot --demo-speed 1"
tmux_wait 20 'stage 0/5 READY' >/dev/null
# The first answers are judged as soon as they are in.
tmux_wait 20 '^error rate +[0-9.]+%' >/dev/null
tmux_wait_preflight
tmux_keys n
tmux_wait 10 'Advance to stage 1' >/dev/null
tmux_keys y
if tmux_wait 10 'Reason for the advance' &&
    printf '%s\n' "$TMUX_SCREEN" | grep -q 'reason (optional; Enter skips)'; then
	pass "a yes to n asks for an optional reason"
else
	fail "a yes to n asks for an optional reason" "$(tmux_diag)"
fi
tmux_type "CHG-1234"
tmux_keys Enter
if tmux_wait 20 'stage 1/5 HOLDING'; then
	pass "Enter advances"
else
	fail "Enter advances" "$(tmux_diag)"
fi
is "the advance records the reason" \
	"$(audit_get advance "$AUDIT" 'd["reason"]')" "CHG-1234"
# At stage 0 Istio has no traffic: what was seen is 0 req/s, judged by
# stage 1's limits (not an empty "gates": {}).
is "the first advance records the values it was taken on" \
	"$(audit_get advance "$AUDIT" 'd["metrics"]["gates"]["traffic"]["value"]')" \
	"0.0"
is "... against stage 1's limits" \
	"$(audit_get advance "$AUDIT" 'd["metrics"]["gates"]["error_rate"]["limit"]')" \
	"0.01"
# Istio's traffic follows the weights with a lag: pause once it is judged.
tmux_wait 30 'gates pass' >/dev/null
tmux_keys p
tmux_wait 10 'stage 1/5 PAUSED' >/dev/null
is "the pause records values" \
	"$(audit_get pause "$AUDIT" 'd["metrics"]["verdict"] in ("pass", "fail", "no_data") and type(d["metrics"]["gates"]["p95"]["value"]).__name__')" \
	"float"
tmux_keys p
tmux_wait 10 'stage 1/5 HOLDING' >/dev/null
# Esc at the reason prompt cancels the rollback.
tmux_keys r
tmux_wait 10 'Roll back' >/dev/null
tmux_keys y
tmux_wait 10 'Reason for the rollback' >/dev/null
tmux_keys Escape
if tmux_wait 10 'cancelled; nothing changed' &&
    printf '%s\n' "$TMUX_SCREEN" | grep -q 'stage 1/5 HOLDING'; then
	pass "Esc at the reason prompt cancels"
else
	fail "Esc at the reason prompt cancels" "$(tmux_diag)"
fi
is "no rollback was recorded" "$(audit_get rollback "$AUDIT" '1')" \
	"no rollback line"
# `cutover log`: the key values of each line.
env -u XDG_STATE_HOME XDG_STATE_HOME="$XDG_STATE_HOME" \
	$CUTOVER --demo log >"$T/log.txt" 2>&1
like "cutover log shows the advance's deciding gate and value" \
	"$(grep ' advance ' "$T/log.txt")" \
	'\[no data: traffic 0(\.0+)? req/s \(limit >=0\.1 req/s\)\]'
like "cutover log shows the pause's values" \
	"$(grep ' pause ' "$T/log.txt")" \
	'\[pass: error_rate [0-9.]+% \(limit <=1\.00%\)\]'
$CUTOVER --demo log --json >"$T/log.json" 2>&1
like "cutover log --json keeps every value" "$(grep '"pause"' "$T/log.json")" \
	'"p95":\{[^}]*"value":[0-9]'
# SIGHUP: the terminal went away.
pid=$(tmux_cutover_pid)
kill -HUP "$pid"
wait_gone 20 "$pid"
is "a dashboard ended by SIGHUP is recorded" \
	"$(audit_get dashboard_exit "$AUDIT" 'd["reason"].split(":")[0] + " " + d["result"]')" \
	"SIGHUP ok"

# --- require_reason --------------------------------------------------------
cat >"$T/set.sh" <<EOF
#!/bin/sh
printf 'istio=%s apisix=%s\n' "\$1" "\$2" >"$T/weights"
EOF
cat >"$T/get.sh" <<EOF
#!/bin/sh
cat "$T/weights" 2>/dev/null || echo "istio=0 apisix=100"
EOF
cat >"$T/req.yaml" <<EOF
name: req
refresh: 1s
require_reason: true
state_file: $T/state/req.state.json
audit_log: $T/state/req.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
EOF
RAUDIT="$T/state/req.audit.jsonl"
$CUTOVER --no-guard -c "$T/req.yaml" advance -y >"$T/out" 2>"$T/err"
rc=$?
ok "advance without --reason is refused" test "$rc" -ne 0
like "... and says why" "$(cat "$T/err")" 'requires a reason'
is "... on the record" "$(audit_get advance "$RAUDIT" 'd["result"]')" "refused"
tmux_start 100 30 "$CUTOVER --no-guard -c $T/req.yaml"
tmux_wait 20 'stage 0/5 READY' >/dev/null
tmux_keys n
tmux_wait 10 'Advance to stage 1' >/dev/null
tmux_keys y
tmux_wait 10 'reason \(required\)' >/dev/null
tmux_keys Enter
if tmux_wait 10 'a reason is required' &&
    printf '%s\n' "$TMUX_SCREEN" | grep -q 'stage 0/5 READY'; then
	pass "the dashboard refuses an empty reason when the plan requires one"
else
	fail "the dashboard refuses an empty reason when the plan requires one" \
		"$(tmux_diag)"
fi
# The dashboard holds the lock: a command is refused, and recorded (the
# advance finds no guard, and the guard it starts finds the lock taken).
$CUTOVER -c "$T/req.yaml" advance -y --reason CHG-9 >"$T/out" 2>"$T/err"
ok "a command is refused while the dashboard holds the lock" \
	test $? -ne 0
is "the lock refusal is on the record" \
	"$(audit_get lock_refused "$RAUDIT" 'd["result"]')" "refused"
