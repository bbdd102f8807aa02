#!/bin/sh
# ui_attach — a dashboard attached to the plan's guard draws what a
# dashboard of its own draws: the preflight's line at stage 0 (the same
# line, mark for mark), the decision pinned above the event log, the
# rollback's checklist, and its verification's alarm, which a acknowledges
# at the guard.  When the guard dies and the plan says not to
# start it again by itself (guard.restart: false), g starts it at once:
# the dashboard attaches to the new one, which applies nothing twice.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require
plan 18

cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
echo "$1 $2" >>"$T_DIR/applies"
echo "set istio=$1 apisix=$2"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<EOF2
name: ui-attach
state_file: $T/state/a.state.json
audit_log: $T/state/a.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
refresh: 1s
rollback:
  verify_timeout: 1s
guard:
  grace: 60s
  restart: false
EOF2
export T_DIR="$T"
C="$CUTOVER -c $T/cutover.yaml"

# The preflight's line as a screen shows it.
preflight_line() {
	printf '%s\n' "$TMUX_SCREEN" | grep -o 'preflight [^|]*' | head -n 1 |
		sed 's/ *$//'
}

# A dashboard of its own first.
tmux_start 100 30 "$C --no-guard" T_DIR="$T"
tmux_wait_preflight
local_line=$(preflight_line)
tmux_keys q
tmux_wait_gone 5 "preflight" >/dev/null

guard_start $C >"$T/gs.out"
tmux_start 100 30 "$C" T_DIR="$T"
tmux_wait 10 "guard: pid $GUARD_PID \(attached\)" >/dev/null
ok "attached at stage 0, the preflight's line shows" \
	tmux_wait 10 'ready for the first shift'
is "... the same line as a dashboard of its own draws" "$(preflight_line)" \
	"$local_line"
like "... (which has it)" "$local_line" "^preflight .*ready for the first shift"

ok "before any decision, none is pinned" tmux_wait 1 "decided: nothing yet"
$C advance --yes --reason "first step" >"$T/adv.out" 2>&1
ok "the guard's decision is pinned above the log" \
	tmux_wait 5 "decided [0-9:]{8} .*stage 1"
$C rollback --yes >"$T/rb.out" 2>&1
# "rollback ✓?✓•• traffic: ...": a mark for each of the guide's five items.
ok "after a rollback, the checklist's row shows" \
	tmux_wait 5 "rollback [^ a-zA-Z]{5,} [a-z]"
# No Prometheus: after verify_timeout (1s) the rollback is not verified.
ok "the verification's alarm shows attached" \
	tmux_wait 10 "ROLLBACK NOT VERIFIED: "
tmux_keys a
ok "a acknowledges it at the guard: the banner goes" \
	tmux_wait_gone 5 "ROLLBACK NOT VERIFIED"
ok "... audited by the guard" \
	grep -q '"action":"alarm_acknowledged"' "$T/state/a.audit.jsonl"

# The guard killed while traffic is on Istio, and not restarted by itself.
$C advance --yes --force --reason "second try" >"$T/adv2.out" 2>&1
ok "(advanced again, by force)" tmux_wait 10 "stage 1/5 HOLDING"
applies=$(wc -l <"$T/applies")
kill -9 "$GUARD_PID"
ok "kill -9 of the guard: the banner says g starts it" \
	tmux_wait_ms 2000 "GUARD DOWN - gates not watched; g starts it again"
like "... and the hints offer it first" "$(printf '%s\n' "$TMUX_SCREEN" |
	tail -n 1)" "^g start the guard"
# Its retries come every 2 s: 5 s without a new guard is none.
if tmux_wait 5 "guard: pid [0-9]+ \(attached\)"; then
	fail "with guard.restart: false it is not started by itself" \
		"$TMUX_SCREEN"
else
	pass "with guard.restart: false it is not started by itself"
fi
OLD=$GUARD_PID
tmux_keys g
tmux_wait 10 "guard: pid [0-9]+ \(attached\)" >/dev/null
GUARD_PID=$(printf '%s\n' "$TMUX_SCREEN" |
	sed -n 's/.*guard: pid \([0-9][0-9]*\) (attached).*/\1/p')
[ -n "$GUARD_PID" ] && CLEANUP_GUARDS="$CLEANUP_GUARDS $GUARD_PID"
ok "g starts a new guard, and the dashboard attaches to it" \
	sh -c "[ -n '$GUARD_PID' ] && [ '$GUARD_PID' != '$OLD' ] && kill -0 '$GUARD_PID'"
ok "... the banner goes" tmux_wait_gone 2 "GUARD DOWN"
ok "... the stage is held where it was" tmux_wait 5 "stage 1/5 HOLDING"
is "... and nothing was applied twice" "$(wc -l <"$T/applies")" "$applies"
tmux_keys g
ok "g with the guard up says so" tmux_wait 3 "the guard is running"
tmux_cleanup
$C guard --stop --yes >"$T/out" 2>&1
