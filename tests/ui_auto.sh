#!/bin/sh
# ui_auto — the dashboard with no guard running starts the plan's guard
# (detached, in a session of its own) and attaches to it; an advance from
# it goes through the guard, and q only detaches: the guard goes on while
# traffic is on Istio.  --read-only and --no-guard start none.  README's
# first command, `cutover --demo`, runs the demo through a guard of its
# own with the demo's options, and after q nothing is left running.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require
plan 16

cat >"$T/set.sh" <<'SH'
#!/bin/sh
echo "$*" >>"$T_DIR/argv.log"
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<EOF2
name: ui-auto
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
sock() { ls "$XDG_RUNTIME_DIR"/cutover/*.sock 2>/dev/null; }
screen_pid() {
	printf '%s\n' "$TMUX_SCREEN" |
		sed -n 's/.*guard: pid \([0-9][0-9]*\) (attached).*/\1/p'
}

# A watcher never starts a guard; --no-guard is the one process.
tmux_start 100 30 "$C --read-only" T_DIR="$T"
tmux_wait 10 "stage 0/5" >/dev/null
ok "--read-only with no guard running starts none" test -z "$(sock)"
unlike "... and is not attached" "$TMUX_SCREEN" "attached"
tmux_keys q
tmux_wait_gone 5 "stage 0/5" >/dev/null
tmux_start 100 30 "$C --no-guard" T_DIR="$T"
tmux_wait 10 "stage 0/5" >/dev/null
ok "--no-guard starts none" test -z "$(sock)"
tmux_keys q
tmux_wait_gone 5 "stage 0/5" >/dev/null

# No guard runs: the dashboard starts one and attaches.
tmux_start 100 30 "$C" T_DIR="$T"
ok "the dashboard with no guard running starts one and attaches" \
	tmux_wait 15 "guard: pid [0-9]+ \(attached\)"
GPID=$(screen_pid)
ok "... a guard of the plan's, with its socket" \
	sh -c "kill -0 '$GPID' && test -S '$(sock)'"
is "... in a session of its own, not the terminal's" \
	"$(ps -o sid= -p "$GPID" | tr -d ' ')" "$GPID"
tmux_wait_preflight
tmux_keys n
tmux_wait 5 'Advance to stage 1' >/dev/null
tmux_yes
ok "an advance from it goes through the guard" \
	tmux_wait 10 "stage 1/5 HOLDING"
is "... applied once" "$(cat "$T/argv.log")" "10 90 1"
tmux_keys q
ok "q detaches the dashboard" tmux_wait_gone 5 "guard: pid"
ok "... and the guard goes on, traffic on Istio" kill -0 "$GPID"
like "... at stage 1" "$($C status 2>&1)" "stage: +1/5 +phase: holding"
$C rollback --yes >/dev/null 2>&1
$C guard --stop --yes >/dev/null 2>&1
wait_for 10 sh -c "! kill -0 $GPID"

# README's first command: the demo through a guard of its own.
tmux_start 100 30 "$CUTOVER --demo --demo-speed 600 --no-autopilot"
ok "cutover --demo attaches to the demo's guard" \
	tmux_wait 15 "guard: pid [0-9]+ \(attached\)"
DPID=$(screen_pid)
like "... started with the demo's options" \
	"$(tr '\0' ' ' <"/proc/$DPID/cmdline" 2>/dev/null)" \
	"--demo --demo-speed 600 --no-autopilot guard"
tmux_keys q
wait_for 10 sh -c "! kill -0 $DPID"
ok "after q the demo's guard is gone" sh -c "! kill -0 $DPID"
ok "... and its socket" test -z "$(sock)"
is "... nothing of cutover is left running" "$(own_cutovers)" ""
