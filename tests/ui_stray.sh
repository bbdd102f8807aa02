#!/bin/sh
# ui_stray — nothing but the dashboard reaches its terminal: a traffic
# driver's command that writes to /dev/tty (a shell's "Terminated", a
# prompt) has no controlling terminal, so the screen never shows it.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 3

cat >"$T/set.sh" <<EOF
#!/bin/sh
echo STRAY-TTY-TEXT >/dev/tty
printf 'istio=%s apisix=%s\n' "\$1" "\$2" >"$T/weights"
EOF
cat >"$T/get.sh" <<EOF
#!/bin/sh
cat "$T/weights" 2>/dev/null || echo "istio=0 apisix=100"
EOF
cat >"$T/stray.yaml" <<EOF
name: stray
refresh: 1s
state_file: $T/state/stray.state.json
audit_log: $T/state/stray.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
EOF
tmux_start 100 30 "$CUTOVER -c $T/stray.yaml"
tmux_wait 20 'read back: istio 0% / apisix 100%' >/dev/null
tmux_keys n
tmux_wait 10 'Advance to stage 1' >/dev/null
tmux_yes
if tmux_wait 20 'driver: applied istio 10% / apisix 90%'; then
	pass "the driver's command ran"
else
	fail "the driver's command ran" "$(tmux_diag)"
fi
unlike "its write to /dev/tty is not on the screen" "$(tmux_screen)" \
	'STRAY-TTY-TEXT'
# The hints line, where curses leaves the cursor, is intact.
like "the hints line ends in 'q quit'" "$(tmux_screen)" 'q quit *$'
