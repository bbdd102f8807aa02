#!/bin/sh
# ui_guard — the dashboard attached to the plan's guard: it draws the
# guard's views and says it is attached; an advance and a rollback from
# other processes show on it within 2 s; two dashboards show the same
# phase; a confirmation open in one is withdrawn when another client's
# action changes the state; q and a killed terminal (SIGHUP) only detach, the guard goes on;
# kill -9 of the guard shows the red banner within 2 s, and the dashboard
# starts a new guard and attaches to it; a guard stopped on purpose is
# not started again.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require
plan 20

cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
echo "set istio=$1 apisix=$2"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<EOF2
name: ui-guard
state_file: $T/state/u.state.json
audit_log: $T/state/u.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
guard:
  grace: 60s
EOF2
export T_DIR="$T"
C="$CUTOVER -c $T/cutover.yaml"

guard_start $C >"$T/gs.out"
tmux_start 100 30 "$C" T_DIR="$T"
tmux_wait 10 "guard: pid $GUARD_PID \(attached\)"
ok "the dashboard attaches to the running guard" \
	tmux_wait 1 "guard: pid $GUARD_PID \(attached\)"
$C advance --yes >"$T/adv.out" 2>&1
ok "an advance from another process shows within 2 s" \
	tmux_wait_ms 2000 "stage 1/5 HOLDING"
# A second dashboard in another window of the same server.
tx new-window -t "$TMUX_SESSION" "env -u NO_COLOR LANG=C.UTF-8 \
TERM=xterm-256color HOME='$HOME' XDG_STATE_HOME='$XDG_STATE_HOME' \
XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' T_DIR='$T' $C; exec sleep 600"
sleep_until_two() {
	tx capture-pane -p -t "$TMUX_SESSION:1" | grep -q "attached"
}
wait_for 10 sleep_until_two
ok "a second dashboard attaches" sleep_until_two
# The header's state and hold, left of the clocks, on both screens.
head0=$(tx capture-pane -p -t "$TMUX_SESSION:0" | head -n 1 | cut -c 1-70)
head1=$(tx capture-pane -p -t "$TMUX_SESSION:1" | head -n 1 | cut -c 1-70)
like "the first dashboard: stage, phase and hold" "$head0" \
	"stage 1/5 HOLDING +hold .*30m00s"
is "the second shows the same, to the second" "$head1" "$head0"
# A confirmation open here is withdrawn when another client acts.
tmux_keys r
tmux_wait 5 "Roll back\?" >/dev/null
$C pause >"$T/out" 2>&1
ok "a confirmation is withdrawn when another client changes the state" \
	tmux_wait 3 "confirmation withdrawn"
ok "... and the dialog is gone" tmux_wait_gone 3 "Roll back\?"
$C resume >"$T/out" 2>&1
$C rollback --yes >"$T/out" 2>&1
ok "a rollback from another process shows within 2 s" \
	tmux_wait_ms 2000 "rolled.back"
ok "... on the second dashboard too" \
	sh -c "tx() { \"$TMUX_BIN\" -L \"$TMUX_SOCK\" -f /dev/null \"\$@\"; }; \
	tx capture-pane -p -t '$TMUX_SESSION:1' | grep -Eq 'rolled.back'"
tx kill-window -t "$TMUX_SESSION:1"
tmux_keys q
tmux_wait_gone 5 "attached" >/dev/null
ok "q detaches the dashboard" tmux_wait_gone 1 "guard: pid"
ok "... and the guard goes on" kill -0 "$GUARD_PID"

tmux_start 100 30 "$C" T_DIR="$T"
tmux_wait 10 "attached" >/dev/null
kill -9 "$GUARD_PID"
ok "kill -9 of the guard: the red banner within 2 s" \
	tmux_wait_ms 2000 "GUARD DOWN - gates not watched"
OLD=$GUARD_PID
tmux_wait 15 "guard: pid [0-9]+ \(attached\)" >/dev/null
GUARD_PID=$(printf '%s\n' "$TMUX_SCREEN" |
	sed -n 's/.*guard: pid \([0-9][0-9]*\) (attached).*/\1/p')
[ -n "$GUARD_PID" ] && CLEANUP_GUARDS="$CLEANUP_GUARDS $GUARD_PID"
ok "the dashboard starts a new guard by itself" \
	sh -c "[ -n '$GUARD_PID' ] && [ '$GUARD_PID' != '$OLD' ] && kill -0 '$GUARD_PID'"
ok "... attaches to it, and the banner goes" tmux_wait_gone 2 "GUARD DOWN"
ok "... which settled the state file: stage 0, rolled back" \
	sh -c "$C status 2>/dev/null | grep -Eq 'stage: +0/5 +phase: rolled_back'"
# A guard stopped on purpose is not started again.
$C guard --stop --yes >"$T/out" 2>&1
ok "a stop shows as the guard down" tmux_wait 5 "GUARD DOWN"
sleep_gone() { ! kill -0 "$GUARD_PID" 2>/dev/null; }
wait_for 10 sleep_gone
# Its retries come every 2 s: 5 s without a new guard is none.
if tmux_wait 5 "guard: pid [0-9]+ \(attached\)" ||
    ls "$XDG_RUNTIME_DIR"/cutover/*.sock >/dev/null 2>&1; then
	fail "... and the dashboard does not start it again" "$TMUX_SCREEN"
else
	pass "... and the dashboard does not start it again"
fi
guard_start $C >"$T/gs.out"
ok "... until one is started" \
	tmux_wait 10 "guard: pid $GUARD_PID \(attached\)"
tmux_cleanup
ok "the terminal killed (SIGHUP): the guard goes on" kill -0 "$GUARD_PID"
$C guard --stop --yes >"$T/out" 2>&1
wait_for 10 sleep_gone
ok "... until stopped" sleep_gone
