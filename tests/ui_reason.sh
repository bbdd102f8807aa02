#!/bin/sh
# ui_reason — require_reason: true makes a reason mandatory for an advance
# and never holds up a rollback.  Without --reason an advance is refused
# and recorded as refused; a rollback without one goes through, from the
# command line, through the guard and from the dashboard (Enter alone at
# its reason prompt), and each is recorded with "no reason given (the
# plan requires one)".  The traffic driver is two scripts; waits are
# bounded polls.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 18

NOREASON='no reason given (the plan requires one)'
AUDIT="$T/state/req.audit.jsonl"

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
audit_log: $AUDIT
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
EOF
C="$CUTOVER -c $T/req.yaml"

# last_line ACTION: the last audit line of ACTION as "result|reason".
last_line() {
	"$PYTHON3" -c 'import json, sys
last = "none"
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d.get("action") == sys.argv[2]:
        last = "%s|%s" % (d.get("result"), d.get("reason"))
print(last)' "$AUDIT" "$1" 2>/dev/null
}
# count ACTION REASON: audit lines of ACTION started with REASON.
count() {
	"$PYTHON3" -c 'import json, sys
print(sum(1 for line in open(sys.argv[1])
          if json.loads(line).get("action") == sys.argv[2]
          and json.loads(line).get("reason") == sys.argv[3]))' \
		"$AUDIT" "$1" "$2" 2>/dev/null
}
weights() {
	cat "$T/weights" 2>/dev/null
}

# --- the command line --------------------------------------------------------
$C advance --yes --force >"$T/out" 2>"$T/err"
ok "advance without --reason is refused" test $? -ne 0
like "... saying why" "$(cat "$T/err")" 'requires a reason'
like "... and recorded as refused" "$(last_line advance)" '^refused[|]'
unlike "... nothing moved" "$(weights)" 'istio=10'

$C advance --yes --force --reason CHG-1 >"$T/out" 2>"$T/err"
is "advance with --reason goes" "$?" 0
is "... to 10 %" "$(weights)" "istio=10 apisix=90"

$C rollback --yes >"$T/out" 2>"$T/err"
is "rollback without --reason goes through" "$?" 0
is "... to 0 %" "$(weights)" "istio=0 apisix=100"
like "... says on stderr that none was given" "$(cat "$T/err")" \
	'requires a reason.*rolling back without one'
is "... and is recorded as such" "$(count rollback "$NOREASON")" 1

# --- through the guard ---------------------------------------------------------
$C advance --yes --force --reason CHG-2 >"$T/out" 2>"$T/err"
is "advance again with a reason" "$?" 0
if guard_start $C >"$T/gs.out"; then
	$C rollback --yes >"$T/out" 2>"$T/err"
	is "rollback through the guard without --reason goes through" "$?" 0
	if wait_for 20 grep -q 'istio=0 apisix=100' "$T/weights"; then
		pass "... to 0 %"
	else
		fail "... to 0 %" "$(weights)" "$(cat "$T/out" "$T/err")"
	fi
	if wait_for 10 test "$(count rollback "$NOREASON")" -eq 2; then
		pass "... and is recorded as such"
	else
		fail "... and is recorded as such" "$(last_line rollback)"
	fi
	$C guard --stop --yes --reason "test done" >"$T/out" 2>&1
	wait_gone 20 "$GUARD_PID"
else
	fail "the guard starts" "$(cat "$T/gs.out")"
	fail "... to 0 %"
	fail "... and is recorded as such"
fi

# --- the dashboard -----------------------------------------------------------
$C advance --yes --force --reason CHG-3 >"$T/out" 2>"$T/err"
is "advance again with a reason" "$?" 0
tmux_start 80 24 "$C; echo EXIT=\$? >$T/exit"
tmux_wait 20 'stage 1/5' >/dev/null
tmux_keys r
tmux_wait 10 'Roll back\?' >/dev/null
tmux_keys y
if tmux_wait 10 'Reason for the rollback'; then
	pass "the dashboard asks for the rollback's reason"
else
	fail "the dashboard asks for the rollback's reason" "$(tmux_diag)"
fi
tmux_keys Enter
if tmux_wait 20 'ROLLED.BACK|rolled back' &&
    wait_for 10 grep -q 'istio=0 apisix=100' "$T/weights"; then
	pass "Enter alone rolls back from the dashboard"
else
	fail "Enter alone rolls back from the dashboard" "$(tmux_diag)"
fi
if wait_for 10 test "$(count rollback "$NOREASON")" -eq 3; then
	pass "... recorded with no reason given"
else
	fail "... recorded with no reason given" "$(last_line rollback)"
fi
tmux_keys q
wait_file 10 "$T/exit" 'EXIT=' >/dev/null
