#!/bin/sh
# ui_record — the dashboard's side of the record rules, with an exec driver
# whose `set` logs every call:
#   - an advance whose audit log cannot be written is refused with the
#     reason on screen and in the event log, and nothing is applied;
#   - weights changed outside cutover (drift) turn n into a typed
#     confirmation that says what is in force; Esc applies nothing;
#   - weights changed outside cutover while the dashboard runs are read
#     again when the operator confirms an advance: refused, nothing sent.
# The dashboard is the one process that acts (--no-guard): these are its
# own record rules.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 11

cat >"$T/set.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$T/argv.log"
printf 'istio=%s apisix=%s\n' "\$1" "\$2" >"$T/weights"
EOF
cat >"$T/get.sh" <<EOF
#!/bin/sh
cat "$T/weights" 2>/dev/null || echo "istio=0 apisix=100"
EOF
# mkplan NAME AUDIT_LOG
mkplan() {
	cat >"$T/$1.yaml" <<EOF
name: $1
refresh: 1s
state_file: $T/state/$1.state.json
audit_log: $2
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
EOF
}

# The audit log's directory is a plain file: no line can be written.
: >"$T/notadir"
mkplan noaudit "$T/notadir/noaudit.audit.jsonl"
tmux_start 100 30 "$CUTOVER --no-guard -c $T/noaudit.yaml"
if tmux_wait 20 'stage 0/5'; then
	pass "the dashboard starts"
else
	fail "the dashboard starts" "$(tmux_diag)"
fi
tmux_wait_preflight
tmux_keys n
tmux_wait 5 'Advance to stage 1' >/dev/null
tmux_yes
if tmux_wait 5 'advance refused: audit log: .*not a directory'; then
	pass "the refusal is on screen"
else
	fail "the refusal is on screen" "$(tmux_diag)"
fi
# The event log (a line with a time) keeps it.
like "the event log has it too" "$(tmux_screen)" \
	"[0-9]{2}:[0-9]{2}:[0-9]{2} advance refused: audit log: .*notadir is not a directory"
ok "nothing was applied" test ! -f "$T/argv.log"

# Drift: the state file says stage 0, the driver reads back 25/75.
mkplan drift "$T/state/drift.audit.jsonl"
echo "istio=25 apisix=75" >"$T/weights"
tmux_start 100 30 "$CUTOVER --no-guard -c $T/drift.yaml; echo EXIT=\$? >$T/exit"
tmux_wait 20 'stage 0/5' >/dev/null
tmux_wait 10 'read back' >/dev/null
tmux_keys n
if tmux_wait 5 'FORCE advance to stage 1'; then
	pass "n asks for a typed confirmation"
else
	fail "n asks for a typed confirmation" "$(tmux_diag)"
fi
like "it says what is in force" "$(tmux_screen | tr '\n' ' ')" \
	"the weights in force \\(istio 25% / .*apisix 75%, read back\\)"
tmux_keys Escape
tmux_wait_gone 5 'FORCE advance' >/dev/null
ok "Esc applies nothing" test ! -f "$T/argv.log"
tmux_keys q
ok "q quits" wait_file 10 "$T/exit" "EXIT=0"

# Drift while the dashboard runs: it started at 0/100 (no drift), then
# someone else moves 25% to Istio; the advance reads the weights again.
rm -f "$T/exit" "$T/state/drift.state.json" "$T/weights"
tmux_start 100 30 "$CUTOVER --no-guard -c $T/drift.yaml; echo EXIT=\$? >$T/exit"
tmux_wait 20 'stage 0/5' >/dev/null
tmux_wait 10 'read back: istio 0%' >/dev/null
echo "istio=25 apisix=75" >"$T/weights"
tmux_keys n
if tmux_wait 5 'Advance to stage 1\?'; then
	pass "n asks (the drift is not known yet)"
else
	fail "n asks (the drift is not known yet)" "$(tmux_diag)"
fi
tmux_yes
if tmux_wait 10 '[0-9]{2}:[0-9]{2}:[0-9]{2} advance refused: the weights in force'; then
	pass "the advance reads the weights again and is refused"
else
	fail "the advance reads the weights again and is refused" "$(tmux_diag)"
fi
ok "nothing was applied" test ! -f "$T/argv.log"
tmux_keys q
wait_file 10 "$T/exit" "EXIT=" >/dev/null
