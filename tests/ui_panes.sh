#!/bin/sh
# ui_panes — a key goes to the focused pane first, then to the global
# keymap: Up/Down/PgUp/PgDn scroll the event log only while it has the
# focus (Tab moves it: metrics, pods, log), and Tab, ? and q work from any
# pane.  The demo in a private tmux server at 80x24.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 9

# screen_ok NAME SECONDS REGEX
screen_ok() {
	if tmux_wait "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "waited ${2}s for: $3" "$(tmux_diag)"
	fi
}

# A key and then the help, opened and closed: once the help is gone, the
# key before it has been handled and the screen is whole again.
key_then_help() {
	tmux_keys "$1" '?'
	tmux_wait 20 'cutover keys' && tmux_keys Escape &&
		tmux_wait_gone 20 'cutover keys'
}

# The log pane's title, following or scrolled back (the hint after it
# says l opens the whole log).
following='^event log( +l: all of it, / searches)? *$'
scrolled='^event log \(scrolled; j/Down to follow\)'

# At least N refusals in the event log on the screen.
refusals() {
	[ "$(tmux_screen | grep -c 'pause refused')" -ge "$1" ]
}

# Through the demo's guard: the keys' refusals fill the log, each once
# (the guard's line; the dashboard adds none of its own).
tmux_start 80 24 "$CUTOVER --demo --no-autopilot --demo-speed 600; echo EXIT=\$? >$T/exit"
tmux_wait 20 "$following"
# A pause at stage 0 is refused and logged: lines to scroll through.
tmux_keys p p p
if wait_for 20 refusals 3 && tmux_wait 20 "$following"; then
	pass "the demo starts, the log follows"
else
	fail "the demo starts, the log follows" "$(tmux_diag)"
fi

key_then_help Up
screen_ok "Up with the metrics focused leaves the log" 20 "$following"

tmux_keys Tab
key_then_help k
screen_ok "k with the pods focused leaves the log" 20 "$following"

tmux_keys Tab k
screen_ok "Tab to the log, k scrolls it back" 20 "$scrolled"

tmux_keys j
screen_ok "j follows the log again" 20 "$following"

tmux_keys PPage
screen_ok "PgUp scrolls the focused log a page back" 20 "$scrolled"

tmux_keys NPage
screen_ok "PgDn follows again" 20 "$following"

tmux_keys Tab
key_then_help PPage
screen_ok "Tab wraps to the metrics; PgUp leaves the log" 20 "$following"

tmux_keys q
if wait_for 20 test -s "$T/exit"; then
	is "q quits with status 0" "$(cat "$T/exit")" "EXIT=0"
else
	fail "q quits with status 0" "$(tmux_diag)"
fi
