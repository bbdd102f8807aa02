#!/bin/sh
# exec_exit_cli — the exec driver's command is judged by its exit, through
# the real binary: a set that exits 0 while children it left behind hold
# its output (one in its process group, one escaped with setsid) advances
# (exit 0, holding) instead of timing out, the one in the group killed; a
# set that never exits, with an escaped child holding the pipes, ends the
# step as "timed out" within its deadline (exit 2, phase error) instead of
# leaving it shifting.  Every sleeper the scripts start is killed at exit.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
command -v setsid >/dev/null 2>&1 || skip_all "no setsid"
plan 6

# set.sh MODE: "leave" exits 0 leaving sleepers; "hang" never exits.
cat >"$T/set.sh" <<'SH'
#!/bin/sh
(sh -c 'echo $$ >"$T_DIR/group.pid"; exec sleep 30' &)
setsid sh -c 'echo $$ >"$T_DIR/escaped.pid"; exec sleep 30' &
printf 'istio=%s apisix=%s\n' "$2" "$3" >"$T_DIR/weights"
echo "set istio=$2 apisix=$3"
[ "$1" = hang ] && exec sleep 30
exit 0
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
# plan NAME MODE TIMEOUT
mkplan() {
	cat >"$T/$1.yaml" <<EOF2
name: exit-$1
state_file: $T/state/$1.state.json
audit_log: $T/state/$1.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, $2, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
    timeout: $3
pods: []
EOF2
}
export T_DIR="$T"
json() { # json FILE EXPR
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# Hand the sleepers a script started to the EXIT trap.
track_sleepers() {
	for f in "$T/group.pid" "$T/escaped.pid"; do
		[ -s "$f" ] && track "$(cat "$f")"
	done
	rm -f "$T/group.pid" "$T/escaped.pid"
}
alive() { # alive PID: a live process, not a zombie
	[ -r "/proc/$1/stat" ] &&
		! sed 's/.*) //' "/proc/$1/stat" | grep -q '^[ZX]'
}
gone() { ! alive "$1"; }

# The deadline (4 s) is longer than the output grace (2 s): the answer must
# come from the exit, not from the deadline.
mkplan leave leave 4s
"$CUTOVER" -c "$T/leave.yaml" advance --yes >"$T/out" 2>"$T/err"
is "a set that exits 0 leaving children behind: advance exits 0" "$?" 0
is "holding at 10/90" \
	"$(json "$T/state/leave.state.json" 'd["state"]["phase"], d["state"]["applied"]["istio"]')" \
	"('holding', 10)"
group=$(cat "$T/group.pid" 2>/dev/null)
if [ -n "$group" ] && wait_for 5 gone "$group"; then
	pass "the child left in the command's group was killed"
else
	fail "the child left in the command's group was killed" "pid $group"
fi
track_sleepers

# Never exits, and an escaped child keeps the pipes after the kill.  A new
# plan starts from 0/100 (else the 10/90 left in force is drift).
rm -f "$T/weights"
mkplan hang hang 1s
"$CUTOVER" -c "$T/hang.yaml" advance --yes >"$T/out" 2>"$T/err"
is "a set that never exits: advance exits 2" "$?" 2
like "it timed out, at its own deadline" "$(cat "$T/err")" \
	"set command timed out after 1 s"
is "phase error, not shifting" \
	"$(json "$T/state/hang.state.json" 'd["state"]["phase"]')" "error"
track_sleepers
