#!/bin/sh
# ui_demo — the real dashboard in a real terminal (a private tmux server):
# the demo driven by keys at 80x24 and at 200x50, the state file and
# audit log each key leaves, resizing, help, quitting, and the demo's own
# scenario with the autopilot (stage 3 breaches and rolls back by itself).
# Every wait is bounded polling of the captured screen or of a file.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

STATE="$XDG_STATE_HOME/cutover/demo.state.json"
AUDIT="$XDG_STATE_HOME/cutover/demo.audit.jsonl"
SCREENS="$T/screens.txt"

plan 98

# Every check waits for the screen's state, never for a time: a capture can
# fall in the middle of a frame (the first lines new, the last ones old), so
# what a check reads must be one capture that shows all it asks for.  The
# limits are generous because the CI machine is a busy 2-core box; a passing
# check waits only as long as the screen takes.

# Every screen looked at is kept, to check for "(null)" and "nan" at the end.
keep() {
	printf '%s\n' "$TMUX_SCREEN" >>"$SCREENS"
}

# screen_ok NAME SECONDS REGEX
screen_ok() {
	if tmux_wait "$2" "$3"; then
		keep
		pass "$1"
	else
		keep
		fail "$1" "waited ${2}s for: $3" "$(tmux_diag)"
	fi
}

# screen_like NAME SECONDS REGEX: as screen_ok, for a further check on a
# screen already waited for (a fresh capture, so never half a frame).
screen_like() {
	screen_ok "$@"
}

# json_get FILE EXPR: a field of a JSON file (python expression on `d`).
json_get() {
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# audit_has ACTION [RESULT]: a line of the audit log with that action.
audit_has() {
	[ -f "$AUDIT" ] || return 1
	"$PYTHON3" - "$AUDIT" "$1" "${2:-}" <<'EOF'
import json, sys
path, action, result = sys.argv[1], sys.argv[2], sys.argv[3]
for line in open(path):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("action") == action and (not result or d.get("result") == result):
        sys.exit(0)
sys.exit(1)
EOF
}

# wait_audit SECONDS ACTION [RESULT]
wait_audit() {
	wait_for "$1" audit_has "$2" "${3:-}"
}

# One full keyed walk through the demo at COLSxROWS.
demo_walk() {
	cols=$1
	rows=$2
	sz="${cols}x${rows}"
	rm -rf "$XDG_STATE_HOME/cutover" "$T/exit"
	# Through the demo's guard, as README's first command runs it.
	tmux_start "$cols" "$rows" \
		"$CUTOVER --demo --no-autopilot --demo-speed 600; echo EXIT=\$? >$T/exit"

	screen_ok "$sz: header shows stage 0/5 READY" 20 'stage 0/5 READY'
	screen_like "$sz: split row: applied" 20 '^applied +istio +[0-9.]+% .* apisix'
	screen_like "$sz: split row: read back" 20 '^read back +istio '
	screen_like "$sz: split row: measured" 20 '^measured +istio '
	screen_like "$sz: stage timeline" 20 '^stages +\[0%\] .*100%'
	screen_like "$sz: metrics rows with error rate" 20 '^error rate '
	screen_like "$sz: pods table" 20 '^group +ready +restarts'
	screen_like "$sz: event log" 20 '^event log'
	screen_like "$sz: hints line" 20 'n advance +p pause +r rollback .*q quit'
	screen_like "$sz: the preflight in place of the gates line" 20 \
		'^preflight .* ready for the first shift'

	tmux_keys n
	screen_ok "$sz: n asks 'Advance to stage 1?'" 20 'Advance to stage 1\?'
	if tmux_wait 20 '^n advance .*q quit' &&
	    printf '%s\n' "$TMUX_SCREEN" | grep -q 'Advance to stage 1\?'; then
		keep
		pass "$sz: the dashboard stays drawn behind the dialog"
	else
		fail "$sz: the dashboard stays drawn behind the dialog" \
			"bug: with a dialog open every pane is blank; draw() touches all of stdscr (touchwin) and its blank cells overwrite the panes" \
			"$(tmux_diag)"
	fi
	tmux_keys N
	screen_ok "$sz: N cancels: 'cancelled; nothing changed'" 20 \
		'cancelled; nothing changed'
	screen_like "$sz: stage stays 0 after cancel" 20 'stage 0/5 READY'

	tmux_keys n
	screen_ok "$sz: n asks again" 20 'Advance to stage 1\?'
	tmux_yes
	screen_ok "$sz: y -> stage 1/5 HOLDING" 15 'stage 1/5 HOLDING'
	is "$sz: state file says stage 1" \
		"$(json_get "$STATE" 'd["state"]["stage"]')" 1
	ok "$sz: audit log: advance, result started" audit_has advance started
	ok "$sz: audit log: stage_entered" audit_has stage_entered

	screen_ok "$sz: the hold ends: stage 1/5 READY" 30 'stage 1/5 READY'
	tmux_keys n
	screen_ok "$sz: n asks 'Advance to stage 2?'" 20 'Advance to stage 2\?'
	tmux_yes
	screen_ok "$sz: y -> stage 2/5 HOLDING" 15 'stage 2/5 HOLDING'

	# Stage 2's hold is short at this speed: act at once.
	tmux_keys n
	screen_ok "$sz: n during the hold asks for a typed confirmation" 20 \
		"FORCE advance to stage 3\?"
	screen_like "$sz: the typed dialog says what to type" 20 \
		"Type 'advance'"
	tmux_keys Escape
	# The note may still show from the first cancel: wait for the dialog
	# itself to go.
	if tmux_wait_gone 20 'FORCE advance'; then
		keep
		screen_like "$sz: Esc cancels the typed confirmation" 20 \
			'cancelled; nothing changed'
	else
		keep
		fail "$sz: Esc cancels the typed confirmation" "$(tmux_diag)"
	fi
	unlike "$sz: still at stage 2 after Esc" "$TMUX_SCREEN" \
		'stage 3/5|FORCE advance'
	tmux_keys p
	screen_ok "$sz: p -> PAUSED" 20 'stage 2/5 PAUSED'
	ok "$sz: audit log: pause" audit_has pause
	tmux_keys p
	screen_ok "$sz: p again -> HOLDING" 20 'stage 2/5 HOLDING'
	ok "$sz: audit log: resume" audit_has resume

	tmux_keys r
	screen_ok "$sz: r asks 'Roll back?'" 20 'Roll back\?'
	tmux_yes
	# On a busy machine the hold may end while the question is open: the
	# dashboard then withdraws it (the state changed), as it must; ask
	# once more.
	if ! tmux_wait 30 'ROLLED BACK' &&
	    printf '%s\n' "$TMUX_SCREEN" | grep -q 'withdrawn'; then
		tmux_keys r
		tmux_wait 20 'Roll back\?' && tmux_yes
	fi
	screen_ok "$sz: y -> ROLLED BACK" 30 'ROLLED BACK'
	screen_ok "$sz: the rollback checklist after it" 30 \
		'^rollback [^ ]+ (weights|traffic|logs): '
	ok "$sz: audit log: rollback" audit_has rollback

	tmux_keys '?'
	screen_ok "$sz: ? shows the help" 20 'cutover keys'
	screen_like "$sz: help lists advance" 20 '[^a-z]n +advance +'
	screen_like "$sz: help lists rollback" 20 '[^a-z]r +rollback +'
	tmux_keys x
	if tmux_wait_gone 20 'cutover keys'; then
		keep
		pass "$sz: any key closes the help"
	else
		keep
		fail "$sz: any key closes the help" "$(tmux_diag)"
	fi
	screen_like "$sz: the dashboard is back after the help" 20 \
		'ROLLED BACK'

	tmux_keys q
	if wait_file 20 "$T/exit" 'EXIT='; then
		is "$sz: q quits with status 0" "$(cat "$T/exit")" "EXIT=0"
	else
		fail "$sz: q quits with status 0" "no exit within 20 s" \
			"$(tmux_screen)"
	fi
	is "$sz: the state file is saved (rolled back)" \
		"$(json_get "$STATE" 'd["state"]["phase"]')" "rolled_back"
}

if [ -z "${UI_DEMO_ONLY:-}" ]; then
	demo_walk 80 24
	demo_walk 200 50
fi

# --- resizing (every demo starts again from stage 0) ----------------------
# wait_size SECONDS COLS REGEX...: one capture that is COLS wide (any width
# for -) and matches every REGEX (a line each, grep -E).
wait_size() {
	local ws_limit ws_cols ws_i ws_all rx
	ws_limit=$(($1 * 10))
	ws_cols=$2
	shift 2
	ws_i=0
	while :; do
		if tmux_wait 0 "$1" && { [ "$ws_cols" = - ] ||
		    [ "$(tmux_width)" -eq "$ws_cols" ]; }; then
			ws_all=yes
			for rx in "$@"; do
				printf '%s\n' "$TMUX_SCREEN" | grep -Eq -- "$rx" ||
					ws_all=no
			done
			[ "$ws_all" = yes ] && return 0
		fi
		[ "$ws_i" -ge "$ws_limit" ] && return 1
		sleep 0.1
		ws_i=$((ws_i + 1))
	done
}

# The 30th line of the screen is the hints line.
hints_on_30() {
	tmux_screen >/dev/null
	printf '%s\n' "$TMUX_SCREEN" | sed -n 30p | grep -Eq '^n advance .*q quit'
}

rm -f "$T/exit"
tmux_start 80 24 \
	"$CUTOVER --demo --no-autopilot --demo-speed 600; echo EXIT=\$? >$T/exit"
screen_ok "resize: the demo starts at 80x24" 20 'stage 0/5 READY'
tmux_resize 100 30
if wait_size 20 100 'stage 0/5 READY.* local$'; then
	keep
	pass "resize to 100x30: redrawn 100 wide with the same state"
else
	keep
	fail "resize to 100x30: redrawn 100 wide with the same state" \
		"width $(tmux_width)" "$(tmux_diag)"
fi
if wait_for 20 hints_on_30; then
	pass "resize: 30 rows used (hints on the last)"
else
	fail "resize: 30 rows used (hints on the last)" "$(tmux_diag)"
fi
tmux_resize 60 20
if wait_size 20 - 'cutover needs at least 80x24' 'this terminal is 60x20'; then
	keep
	pass "resize to 60x20: 'cutover needs at least 80x24'"
	pass "resize to 60x20: the size is told"
else
	keep
	fail "resize to 60x20: 'cutover needs at least 80x24'" "$(tmux_diag)"
	fail "resize to 60x20: the size is told" "$(tmux_diag)"
fi
tmux_resize 80 24
if wait_size 20 80 'stage 0/5 READY.* local$' '^n advance .*q quit'; then
	keep
	pass "back to 80x24: the dashboard again, hints line included"
else
	keep
	fail "back to 80x24: the dashboard again, hints line included" \
		"$(tmux_diag)"
fi

# A key after a resize to a size other than the first must be answered.
tmux_resize 100 30
wait_size 20 100 'stage 0/5 READY.* local$'
tmux_keys '?'
if tmux_wait 20 'cutover keys' && tmux_keys Escape &&
    tmux_wait_gone 20 'cutover keys'; then
	keep
	pass "after a resize keys are answered (? then Esc)"
else
	keep
	fail "after a resize keys are answered (? then Esc)" "$(tmux_diag)"
fi
tmux_keys q
if wait_file 20 "$T/exit" 'EXIT=0'; then
	pass "q quits after resizing"
else
	fail "q quits after resizing" "$(tmux_diag)"
	pid=$(tmux_cutover_pid)
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
fi

# --- the demo's own scenario, with the autopilot ---------------------------
rm -rf "$XDG_STATE_HOME/cutover" "$T/exit"
tmux_start 80 24 "$CUTOVER --demo --demo-speed 600; echo EXIT=\$? >$T/exit"
screen_ok "autopilot: the demo starts" 20 'stage 0/5'
screen_ok "autopilot: reaches stage 3 by itself" 60 'stage 3/5'
screen_ok "autopilot: breaches and shows ROLLED BACK" 90 'ROLLED BACK'
ok "autopilot: audit log has auto_rollback" wait_audit 10 auto_rollback
ok "autopilot: the auto_rollback line carries a metrics object" \
	"$PYTHON3" -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d.get("action") == "auto_rollback" and isinstance(d.get("metrics"), dict) and d["metrics"]:
        sys.exit(0)
sys.exit(1)' "$AUDIT"
tmux_keys q
ok "autopilot: q quits with status 0" wait_file 20 "$T/exit" 'EXIT=0'

# --- nothing undefined on any screen looked at ----------------------------
bad=$(grep -n '(null)' "$SCREENS" | head -3)
is "no screen shows (null)" "$bad" ""
bad=$(grep -nEi '(^|[^a-z])-?nan([^a-z]|$)' "$SCREENS" | head -3)
is "no screen shows nan" "$bad" ""
