# Shared tmux helpers for cutover's terminal tests (ui_demo.sh, ui_keys.sh,
# ui_term.sh).  Source after tests/lib.sh:
#   . "$top_srcdir/tests/lib.sh"
#   . "$top_srcdir/tests/tmux.sh"
#   tmux_require                      # skip_all without tmux
#   tmux_start 80 24 "cutover --demo"   # runs under sh -c in the pane
#   tmux_wait 20 'stage 0/5'          # bounded poll of the screen text
#   tmux_keys n
# Every test uses a private tmux server (its own socket name, no config
# file) that the EXIT trap kills, so nothing is left running and the
# user's own tmux is never touched.  Waiting is always bounded polling of
# the captured screen or of files, 0.1 s per step.

: "${TMUX_BIN:=}"
# Sockets live in the test's temp dir, so none is left behind.
TMUX_TMPDIR="$T"
export TMUX_TMPDIR
TMUX_SOCK_BASE="cutover-test-$$"
TMUX_SOCK="$TMUX_SOCK_BASE"
TMUX_NSTARTS=0
TMUX_SESSION="t"
TMUX_STARTED=""
TMUX_SCREEN=""

# Run tmux against the private server.
tx() {
	"$TMUX_BIN" -L "$TMUX_SOCK" -f /dev/null "$@"
}

tmux_cleanup() {
	if [ -n "$TMUX_STARTED" ]; then
		tx kill-server >/dev/null 2>&1
		TMUX_STARTED=""
	fi
}

# Kill the server first, then lib.sh's cleanup (which keeps or removes $T).
trap 'tmux_cleanup; cleanup' EXIT

# skip_all unless $TMUX_BIN names a working tmux and $CUTOVER exists.
tmux_require() {
	if [ -z "$TMUX_BIN" ]; then
		skip_all "tmux not found (TMUX_BIN is empty)"
	fi
	if ! [ -x "$TMUX_BIN" ] && ! command -v "$TMUX_BIN" >/dev/null 2>&1; then
		skip_all "tmux not found: $TMUX_BIN"
	fi
	if ! "$TMUX_BIN" -V >/dev/null 2>&1; then
		skip_all "tmux does not run: $TMUX_BIN"
	fi
	if ! [ -x "$CUTOVER" ]; then
		skip_all "no cutover binary at $CUTOVER"
	fi
}

# Quote one word for sh -c.
sq() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# tmux_start COLS ROWS CMD [ENV=VALUE...]: a new session whose one pane
# runs CMD under sh -c with LANG=C.UTF-8, TERM=xterm-256color (override
# either with ENV=VALUE words), the test's HOME and XDG_STATE_HOME.  The
# pane stays open after CMD ends (a "sleep" keeps it), so the screen can
# still be read.
tmux_start() {
	cols=$1
	rows=$2
	cmd=$3
	shift 3
	envs="LANG=C.UTF-8 LC_ALL= TERM=xterm-256color"
	envs="$envs HOME=$(sq "$HOME") XDG_STATE_HOME=$(sq "$XDG_STATE_HOME")"
	envs="$envs XDG_RUNTIME_DIR=$(sq "$XDG_RUNTIME_DIR")"
	envs="$envs PATH=$(sq "$PATH")"
	for kv in "$@"; do
		envs="$envs $(sq "$kv")"
	done
	# Each start gets a fresh server: a killed one may still be going away.
	if [ -n "$TMUX_STARTED" ]; then
		tx kill-server >/dev/null 2>&1
	fi
	TMUX_NSTARTS=$((TMUX_NSTARTS + 1))
	TMUX_SOCK="$TMUX_SOCK_BASE-$TMUX_NSTARTS"
	# The server's own environment must not leak a $TMUX of the caller.
	env -u TMUX LANG=C.UTF-8 "$TMUX_BIN" -L "$TMUX_SOCK" -f /dev/null \
		new-session -d -s "$TMUX_SESSION" -x "$cols" -y "$rows" \
		"env -u NO_COLOR -u COLUMNS -u LINES $envs sh -c $(sq "$cmd"); exec sleep 600"
	rc=$?
	TMUX_STARTED=yes
	# A session started detached follows -x/-y; keep it at that size.
	tx set-option -t "$TMUX_SESSION" -w window-size manual >/dev/null 2>&1
	tx set-option -t "$TMUX_SESSION" remain-on-exit on >/dev/null 2>&1
	return $rc
}

# Send keys (tmux key names: n, y, Escape, Enter, C-l, ...).
tmux_keys() {
	tx send-keys -t "$TMUX_SESSION" "$@"
}

# tmux_yes [REASON]: answer y to an advance or a rollback, then the reason
# prompt that follows (REASON, or none: Enter skips it).  Keys are taken
# in order, so nothing waits in between (a short hold may be running).
tmux_yes() {
	tmux_keys y
	if [ -n "${1:-}" ]; then
		tmux_type "$1"
	fi
	tmux_keys Enter
}

# tmux_wait_preflight [SECONDS]: until the stage-0 preflight passes (the
# gates line says "ready for the first shift").  An advance pressed
# before the first read-back meets the typed confirmation, as it must
# while a check is unknown.
tmux_wait_preflight() {
	tmux_wait "${1:-20}" 'ready for the first shift' >/dev/null
}

# Send a literal string.
tmux_type() {
	tx send-keys -t "$TMUX_SESSION" -l "$1"
}

# The screen as text (also kept in $TMUX_SCREEN).  Extra args go to
# capture-pane (e.g. -e for attributes and colours).
tmux_screen() {
	TMUX_SCREEN=$(tx capture-pane -p -t "$TMUX_SESSION" "$@" 2>/dev/null)
	printf '%s\n' "$TMUX_SCREEN"
}

# tmux_wait SECONDS REGEX: poll the screen until REGEX (grep -E) matches.
# $TMUX_SCREEN holds the last capture either way.
tmux_wait() {
	local limit i
	limit=$(($1 * 10))
	i=0
	while :; do
		TMUX_SCREEN=$(tx capture-pane -p -t "$TMUX_SESSION" 2>/dev/null)
		if printf '%s\n' "$TMUX_SCREEN" | grep -Eq -- "$2"; then
			return 0
		fi
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# tmux_wait_gone SECONDS REGEX: poll until REGEX no longer matches.
tmux_wait_gone() {
	local limit i
	limit=$(($1 * 10))
	i=0
	while :; do
		TMUX_SCREEN=$(tx capture-pane -p -t "$TMUX_SESSION" 2>/dev/null)
		if ! printf '%s\n' "$TMUX_SCREEN" | grep -Eq -- "$2"; then
			return 0
		fi
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# tmux_wait_ms MILLISECONDS REGEX: as tmux_wait, finer limit.
tmux_wait_ms() {
	local limit i
	limit=$(($1 / 100))
	i=0
	while :; do
		TMUX_SCREEN=$(tx capture-pane -p -t "$TMUX_SESSION" 2>/dev/null)
		if printf '%s\n' "$TMUX_SCREEN" | grep -Eq -- "$2"; then
			return 0
		fi
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# tmux_resize COLS ROWS: resize the window (and so the pane).
tmux_resize() {
	tx resize-window -t "$TMUX_SESSION" -x "$1" -y "$2" >/dev/null 2>&1 ||
		tx resize-pane -t "$TMUX_SESSION" -x "$1" -y "$2"
}

# The pane's size as COLSxROWS.
tmux_size() {
	tx display-message -p -t "$TMUX_SESSION" '#{pane_width}x#{pane_height}'
}

# The pid of the pane's shell.
tmux_pane_pid() {
	tx display-message -p -t "$TMUX_SESSION" '#{pane_pid}'
}

# The widest line of the last capture, in columns.
tmux_width() {
	printf '%s\n' "$TMUX_SCREEN" | LC_ALL=C.UTF-8 wc -L | tr -d ' '
}

# A diagnostic of the last screen, for fail.
tmux_diag() {
	printf 'screen:\n%s\n' "$TMUX_SCREEN"
}

# todo NAME WHY [DIAG...]: a known program bug, as a TAP TODO.
todo() {
	TAP_N=$((TAP_N + 1))
	echo "not ok $TAP_N - $1 # TODO $2"
	shift 2
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

# wait_file SECONDS FILE REGEX: poll until FILE exists and matches.
wait_file() {
	local limit i
	limit=$(($1 * 10))
	i=0
	while :; do
		if [ -f "$2" ] && grep -Eq -- "$3" "$2"; then
			return 0
		fi
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# wait_gone SECONDS PID: poll until the process is gone.
wait_gone() {
	local limit i
	limit=$(($1 * 10))
	i=0
	while kill -0 "$2" 2>/dev/null; do
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# The pid of the cutover process in the pane: a descendant of the pane's
# shell whose command name starts with "cutover".
tmux_cutover_pid() {
	pp=$(tmux_pane_pid)
	[ -n "$pp" ] || return 1
	ps -e -o pid= -o ppid= -o comm= 2>/dev/null | awk -v root="$pp" '
		{ parent[$1] = $2; name[$1] = $3 }
		END {
			for (p in name) {
				if (name[p] !~ /^cutover/)
					continue
				q = p
				for (n = 0; n < 20 && q != "" && q != 0; n++) {
					if (q == root) { print p; exit }
					q = parent[q]
				}
			}
		}'
}

# Wait for the cutover process to appear in the pane; prints its pid.
tmux_wait_cutover_pid() {
	local limit i
	limit=$(($1 * 10))
	i=0
	while :; do
		pid=$(tmux_cutover_pid)
		if [ -n "$pid" ]; then
			echo "$pid"
			return 0
		fi
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}
