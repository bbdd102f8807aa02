#!/bin/sh
# ui_preflight — the dashboard at stage 0 with a failing preflight check
# (Prometheus refuses connections): the gates line shows the check and its
# reason, `n` asks for a typed confirmation naming it, typing `advance`
# shifts, and the audit line says it was forced past the preflight.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 6

dead=$(free_port)
cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
echo "istio=0 apisix=100" >"$T/weights"
cat >"$T/cutover.yaml" <<EOF
name: ui-preflight
state_file: $T/state/ui.state.json
audit_log: $T/state/ui.audit.jsonl
refresh: 1s
prometheus:
  url: http://127.0.0.1:$dead
  timeout: 2s
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [cat, $T/weights]
pods: []
EOF
export T_DIR="$T"
# Through the plan's guard, which the dashboard starts: its view carries
# the preflight's checks.
tmux_start 100 30 "T_DIR=$T $CUTOVER -c $T/cutover.yaml"
if tmux_wait 30 '^preflight .* prometheus: .*refused'; then
	pass "the gates line shows the failing check and its reason"
else
	fail "the gates line shows the failing check and its reason" "$(tmux_diag)"
fi
tmux_keys n
if tmux_wait 20 'FORCE advance to stage 1\?'; then
	pass "n asks for a typed confirmation"
else
	fail "n asks for a typed confirmation" "$(tmux_diag)"
fi
like "  naming the preflight's failing check" "$TMUX_SCREEN" \
	'preflight: prometheus fails'
tmux_type advance
tmux_keys Enter
# Then the optional reason (Enter skips it).
tmux_wait 10 'Reason for the advance' >/dev/null
tmux_keys Enter
if tmux_wait 30 'stage 1/5'; then
	pass "typing 'advance' shifts to stage 1"
else
	fail "typing 'advance' shifts to stage 1" "$(tmux_diag)"
fi
ok "  the driver moved: 10/90" grep -q 'istio=10 apisix=90' "$T/weights"
like "  audited as forced past the preflight" \
	"$(grep '"action":"advance"' "$T/state/ui.audit.jsonl" | tail -n 1)" \
	'past the preflight: prometheus fails'
