# Shared helpers for cutover's shell tests (POSIX sh plus `local`, which
# dash and bash both have: the wait helpers nest, so their counters must).  Each test is a TAP producer:
#   . "$top_srcdir/tests/lib.sh"
#   plan 3
#   ok "name" test -f x
# Tests that cannot run call skip_all "why" (TAP "1..0 # SKIP").  In CI
# (CI=true) a missing tool or server is a missing install step, so there
# skip_all and skip_one fail instead; only skip_build (a test that this kind
# of build cannot run, such as valgrind in an ASan build) still skips.
# Every helper process is started in the test's own temp dir and killed by
# the EXIT trap, so a failing test leaves nothing running.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${CUTOVER:=$top_builddir/cutover}"
: "${PYTHON3:=python3}"

TAP_N=0
TAP_FAILED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/cutover-test.XXXXXX")
CLEANUP_PIDS=""
CLEANUP_GUARDS=""

# The pids of cutover processes (guards, dashboards) whose environment has
# this test's XDG_RUNTIME_DIR: nobody else's.
own_cutovers() {
	local d
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" != "$$" ] || continue
		case $(readlink "$d/exe" 2>/dev/null) in
		*/cutover | */cutover" (deleted)") ;;
		*) continue ;;
		esac
		tr '\0' '\n' <"$d/environ" 2>/dev/null |
			grep -qxF "XDG_RUNTIME_DIR=$T/run" &&
			echo "${d#/proc/}"
	done
}

cleanup() {
	for p in $CLEANUP_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $CLEANUP_PIDS; do
		wait "$p" 2>/dev/null
	done
	# Guards the test's commands started by themselves (a dashboard's, an
	# advance's) are cutover processes with this test's runtime directory.
	CLEANUP_GUARDS="$CLEANUP_GUARDS $(own_cutovers)"
	# Guards are not our children: TERM, a bounded wait, then KILL.
	for p in $CLEANUP_GUARDS; do
		kill "$p" 2>/dev/null
	done
	for p in $CLEANUP_GUARDS; do
		local i=0
		while kill -0 "$p" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	# A detached guard's stderr is its log: what a sanitizer found there
	# (at exit, a leak) reaches no TAP line, so it fails the test here.
	local f status=0
	for f in $(find "$T" -name '*.guard.log' 2>/dev/null); do
		grep -Eq 'ERROR: (Address|Leak)Sanitizer|\.c:[0-9]+:[0-9]+: runtime error:' "$f" ||
			continue
		echo "# a sanitizer's report in $f:"
		sed -n '1,60s/^/# /p' "$f"
		TAP_FAILED=1
		status=1
	done
	if [ -n "${KEEP_TMP:-}" ] || [ "$TAP_FAILED" -ne 0 ]; then
		echo "# temp dir kept: $T" >&2
	else
		rm -rf "$T"
	fi
	[ "$status" -eq 0 ] || exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

plan() {
	echo "1..$1"
}

in_ci() {
	[ "${CI:-}" = true ]
}

skip_all() {
	if in_ci; then
		echo "1..1"
		echo "not ok 1 - cannot run in CI: $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# skip_build WHY: the whole test does not apply to this build; never fails.
skip_build() {
	echo "1..0 # SKIP $*"
	exit 0
}

# skip_one NAME WHY: one test that cannot run here (fails in CI).
skip_one() {
	if in_ci; then
		fail "$1" "cannot run in CI: $2"
	else
		pass "$1 # SKIP $2"
	fi
}

# pass NAME / fail NAME [diagnostic...]
pass() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1"
}

fail() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

# ok NAME CMD...: pass when CMD succeeds.
ok() {
	name=$1
	shift
	if "$@" >"$T/.ok.out" 2>&1; then
		pass "$name"
	else
		fail "$name" "command: $*" "$(tail -n 20 "$T/.ok.out")"
	fi
}

# is NAME GOT WANT: string equality.
is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: $3"
	fi
}

# like NAME TEXT REGEX: TEXT matches the extended regex.
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1" "text: $2" "does not match: $3"
	fi
}

# unlike NAME TEXT REGEX
unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		fail "$1" "text: $2" "matches: $3"
	else
		pass "$1"
	fi
}

# A free TCP port on 127.0.0.1.
free_port() {
	"$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s, at most SECONDS.
wait_for() {
	local limit i
	limit=$(($1 * 10))
	shift
	i=0
	while [ "$i" -lt "$limit" ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Remember a background pid for the EXIT trap.
track() {
	CLEANUP_PIDS="$CLEANUP_PIDS $1"
}

# guard_start CUTOVER-ARGS...: start the plan's guard (detached) and
# remember its pid for the EXIT trap; prints what `cutover guard` said.
guard_start() {
	local out pid
	out=$("$@" guard 2>&1)
	echo "$out"
	pid=$(echo "$out" | sed -n 's/.*: pid \([0-9][0-9]*\),.*/\1/p')
	[ -n "$pid" ] || return 1
	CLEANUP_GUARDS="$CLEANUP_GUARDS $pid"
	GUARD_PID=$pid
}

# A state directory of the test's own, so nothing touches ~/.local/state;
# not group-writable whatever the caller's umask (cutover refuses that).
umask 022
export XDG_STATE_HOME="$T/state"
export HOME="$T/home"
mkdir -p "$HOME" "$XDG_STATE_HOME"
# Guards' sockets too: a test never reaches a guard outside it.
export XDG_RUNTIME_DIR="$T/run"
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
