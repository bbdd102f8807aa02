#!/bin/sh
# ui_term — the dashboard on the terminals an on-call engineer meets:
# several TERM values, an ASCII-only locale, no colour (NO_COLOR and
# --no-color), and SIGHUP / SIGTERM: the terminal is given back, the state
# is saved and traffic is not touched.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

STATE="$XDG_STATE_HOME/cutover/demo.state.json"
AUDIT="$XDG_STATE_HOME/cutover/demo.audit.jsonl"
# In one process (--no-guard): a signal ends the dashboard that holds the
# state, which records its exit.
DEMO="$CUTOVER --demo --no-guard --no-autopilot --demo-speed 600"
ESC=$(printf '\033')

plan 31

# run_demo ARGS ENV...: start the demo in a fresh 80x24 pane.
run_demo() {
	args=$1
	shift
	rm -f "$T/exit"
	tmux_start 80 24 "$DEMO $args; echo EXIT=\$? >$T/exit; echo SHELL-AFTER-CUTOVER" "$@"
}

quit_demo() {
	tmux_keys q
	wait_file 5 "$T/exit" 'EXIT=' || {
		pid=$(tmux_cutover_pid)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	}
}

# --- TERM values -------------------------------------------------------------
for term in xterm-256color screen tmux-256color vt100; do
	run_demo "" "TERM=$term"
	if tmux_wait 20 'stage 0/5 READY' &&
	    tmux_wait 5 '^n advance .*q quit'; then
		pass "TERM=$term: the dashboard draws"
	else
		fail "TERM=$term: the dashboard draws" "$(tmux_diag)"
	fi
	tmux_wait_preflight
	tmux_keys n
	if tmux_wait 5 'Advance to stage 1\?'; then
		pass "TERM=$term: the confirmation dialog draws"
	else
		fail "TERM=$term: the confirmation dialog draws" "$(tmux_diag)"
	fi
	tmux_keys Escape
	quit_demo
done

# --- ASCII: vt100 with LANG=C, and --ascii -----------------------------------
# No braille (U+2800..), block (U+2580..) or box-drawing (U+2500..) or
# arrow characters: only printable ASCII.
non_ascii() {
	printf '%s\n' "$TMUX_SCREEN" | LC_ALL=C grep -c '[^ -~]'
}
run_demo "" "TERM=vt100" "LANG=C"
tmux_wait 20 'stage 0/5 READY' >/dev/null
# Let a few samples draw the trend sparklines.
tmux_wait 5 '^requests .*[^ ] +[0-9]+/s' >/dev/null
like "LANG=C TERM=vt100: the timeline in ASCII" "$TMUX_SCREEN" '^stages +\[0%\] -?> 10% -?> 25%'
is "LANG=C TERM=vt100: only ASCII on the screen" "$(non_ascii)" 0
tmux_wait_preflight
tmux_keys n
tmux_wait 5 'Advance to stage 1\?' >/dev/null
is "LANG=C TERM=vt100: only ASCII on the screen (dialog open)" "$(non_ascii)" 0
tmux_keys Escape
quit_demo

run_demo "--ascii"
tmux_wait 20 'stage 0/5 READY' >/dev/null
tmux_wait 5 '^requests .*[^ ] +[0-9]+/s' >/dev/null
is "--ascii: only ASCII on the screen" "$(non_ascii)" 0
quit_demo

# --- no colour -------------------------------------------------------------------
colours() {
	tmux_screen -e >/dev/null
	# SGR 30-38 / 40-48 / 90-97 / 100-107; 39 and 49 are "default".
	printf '%s\n' "$TMUX_SCREEN" |
		grep -cE "$ESC\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;|m)"
}
# At stage 1 the phase (green) and the Istio side of the bars (cyan) have
# colour when colour is on.
to_stage1() {
	tmux_wait 20 'stage 0/5 READY' >/dev/null
	tmux_wait_preflight
	tmux_keys n
	tmux_wait 5 'Advance to stage 1\?' >/dev/null
	tmux_yes
	tmux_wait 15 'stage 1/5 (HOLDING|READY)' >/dev/null
}
rm -rf "$XDG_STATE_HOME/cutover"
run_demo ""
to_stage1
n=$(colours)
if [ "$n" -gt 0 ]; then
	pass "by default the screen has colour ($n lines)"
else
	fail "by default the screen has colour" "bug: no colour escape at all; widget_put (widgets/widget.c:107) calls setcchar(&cc, wcs, a, 0, NULL) and pair 0 overrides the COLOR_PAIR bits of the role's attr" "$TMUX_SCREEN"
fi
quit_demo

rm -rf "$XDG_STATE_HOME/cutover"
run_demo "" "NO_COLOR=1"
to_stage1
is "NO_COLOR=1: no colour escapes at stage 1" "$(colours)" 0
quit_demo

rm -rf "$XDG_STATE_HOME/cutover"
run_demo "--no-color"
to_stage1
tmux_keys r
tmux_wait 5 'Roll back\?' >/dev/null
is "--no-color: no colour escapes (rollback dialog open)" "$(colours)" 0
tmux_keys Escape
quit_demo

# --- signals ----------------------------------------------------------------------
# sig_test SIG: advance to stage 1, let it settle, send SIG to cutover.
sig_test() {
	sig=$1
	rm -rf "$XDG_STATE_HOME/cutover"
	run_demo ""
	tmux_wait 20 'stage 0/5 READY' >/dev/null
	tmux_wait_preflight
	tmux_keys n
	tmux_wait 5 'Advance to stage 1\?' >/dev/null
	tmux_yes
	tmux_wait 15 'stage 1/5 (HOLDING|READY)' >/dev/null
	wait_for 5 grep -q stage_entered "$AUDIT"
	pid=$(tmux_wait_cutover_pid 5)
	before=$(wc -l <"$AUDIT")
	weights_before=$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["state"]["applied"])' "$STATE" 2>/dev/null)
	kill -s "$sig" "$pid"
	if wait_gone 5 "$pid"; then
		pass "SIG$sig: cutover leaves"
	else
		fail "SIG$sig: cutover leaves" "$(tmux_screen)"
		kill -9 "$pid" 2>/dev/null
	fi
	if tmux_wait 5 '^SHELL-AFTER-CUTOVER'; then
		pass "SIG$sig: the terminal is given back (the shell's output shows)"
	else
		fail "SIG$sig: the terminal is given back (the shell's output shows)" "$(tmux_diag)"
	fi
	# After endwin the dashboard must not stay drawn in the normal screen
	# (tmux-256color/xterm use the alternate screen).
	unlike "SIG$sig: the dashboard is gone from the screen" "$TMUX_SCREEN" '^n advance .*q quit'
	like "SIG$sig: exit status 128+signal" "$(cat "$T/exit" 2>/dev/null)" \
		"EXIT=$2"
	ok "SIG$sig: the state file is saved" "$PYTHON3" -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["state"]["stage"] == 1 else 1)' "$STATE"
	after=$(wc -l <"$AUDIT")
	# No traffic change; one line saying the dashboard left, and why.
	is "SIG$sig: one audit line after the signal" "$after" "$((before + 1))"
	like "SIG$sig: it records the dashboard's exit by SIG$sig" \
		"$(tail -n 1 "$AUDIT")" \
		"\"action\": ?\"dashboard_exit\".*\"reason\": ?\"SIG$sig"
	weights_after=$("$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["state"]["applied"])' "$STATE" 2>/dev/null)
	is "SIG$sig: applied weights unchanged" "$weights_after" "$weights_before"
}
sig_test HUP 129
sig_test TERM 143
