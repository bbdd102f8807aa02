#!/bin/sh
# commands — the command table is the one list of one-shot commands: every
# command in `cutover --help` (generated from the table) is in cutover(1)'s
# COMMANDS section and the other way round; the options are parsed once,
# before or after the command; and a command that takes the plan's lock is
# refused with --read-only, clearly (exit 64, naming it), while the others
# run with it.  Which commands take the lock is observed, not restated: the
# lock is held with flock(1) and each command is run against it.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
command -v flock >/dev/null 2>&1 || skip_all "no flock(1)"

# The usage text's command list: the lines after "commands:" up to a blank.
help_cmds=$("$CUTOVER" --help | sed -n '/^commands:/,/^$/p' |
	awk '/^  [a-z]/ { print $1 }')
# cutover(1): each ".TP" followed by ".B name" in .SH COMMANDS.
man_cmds=$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$top_srcdir/man/cutover.1" |
	awk 'prev == ".TP" && $1 == ".B" { print $2 } { prev = $0 }')
n=$(printf '%s\n' "$help_cmds" | wc -l)
plan $((6 + 3 * n))

like "--help lists commands" "$help_cmds" "^check$"
is "cutover(1) lists the commands of --help, in order" "$man_cmds" "$help_cmds"

cat >"$T/cutover.yaml" <<EOF2
name: cmdtest
state_file: $T/state/cmd.state.json
audit_log: $T/state/cmd.audit.jsonl
pods: []
EOF2
C="$CUTOVER -c $T/cutover.yaml"
mkdir -p "$T/state"

# Options after the command are the same options: parsed once.
$C status --json >"$T/out" 2>"$T/err"
is "an option after the command (status --json)" "$?" 0
like "... takes effect" "$(head -c 1 "$T/out")" "^\{$"
$CUTOVER status -c "$T/cutover.yaml" extra >"$T/out" 2>"$T/err"
is "a second operand is a usage error" "$?" 64

# Hold the lock as another process would, until the fifo is written.
mkfifo "$T/release"
flock -x "$T/state/cmd.state.json.lock" \
	sh -c 'echo held >"$1"; read x <"$2"' sh "$T/held" "$T/release" &
track $!
wait_for 10 test -s "$T/held"
ok "the lock is held" test -s "$T/held"

for cmd in $help_cmds; do
	$C "$cmd" --yes </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	locks=no
	[ "$rc" -eq 75 ] && locks=yes
	$C --read-only "$cmd" </dev/null >"$T/ro.out" 2>"$T/ro.err"
	rc=$?
	if [ "$locks" = yes ]; then
		is "$cmd takes the lock: refused with --read-only (exit 64)" "$rc" 64
		like "... saying why" "$(cat "$T/ro.err")" \
			"^cutover: --read-only cannot $cmd: it takes the plan's lock"
	else
		unlike "$cmd does not take the lock: runs with --read-only" \
			"$rc" "^(64|75)$"
		unlike "... and is not refused" "$(cat "$T/ro.err")" \
			"read-only cannot|unknown command"
	fi
	unlike "$cmd is a known command" "$(cat "$T/err")" "unknown command"
done
echo done >"$T/release"
