#!/bin/sh
# record_cli — what cutover does when its record is in danger, through the
# real binary with an exec driver whose `set` logs every call:
#   - links planted in the state directory (lock, audit log, state file)
#     are refused and their targets untouched; so is a directory others
#     may write without the sticky bit, or one owned by another user;
#   - a step forward whose audit line or state file cannot be written
#     (RLIMIT_FSIZE, SIGXFSZ ignored: write(2) fails with EFBIG) applies
#     nothing and exits 74, and the next advance applies the stage once; a
#     rollback goes ahead and exits 74, saying the record was lost;
#   - weights changed outside cutover (drift) refuse an advance until
#     `reconcile` adopts them or --force; the refusal is audited;
#   - a watch-only plan (no traffic: section) refuses advance and rollback
#     without changing the state; reconcile succeeds.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
# The record of the one process that acts (a guard is its own test).
CUTOVER="$CUTOVER --no-guard"
plan 60

cat >"$T/set.sh" <<'SH'
#!/bin/sh
echo "$*" >>"$T_DIR/argv.log"
if [ -f "$T_DIR/fail" ]; then echo "boom" >&2; exit 3; fi
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
export T_DIR="$T"

# mkplan NAME DIR: an exec plan keeping its files in DIR.
mkplan() {
	cat >"$T/$1.yaml" <<EOF
name: $1
state_file: $2/$1.state.json
audit_log: $2/$1.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
EOF
}
json() { # json FILE EXPR
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
count_audit() { # count_audit FILE ACTION RESULT [REASON-SUBSTRING]
	"$PYTHON3" - "$@" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if (d["action"] == sys.argv[2] and d["result"] == sys.argv[3] and
            (len(sys.argv) < 5 or sys.argv[4] in d.get("reason", ""))):
        n += 1
print(n)
PY
}
# limited CMD...: run CMD with writes past 512 bytes failing (EFBIG:
# RLIMIT_FSIZE, SIGXFSZ ignored; set in bytes, whatever the shell's ulimit
# unit); stdout and stderr to $T/out through a pipe (the limit is the
# writer's), the exit status in $T/rc.
limited() {
	("$PYTHON3" -c '
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
os.execvp(sys.argv[1], sys.argv[1:])' "$@"; echo $? >"$T/rc") 2>&1 | cat >"$T/out"
}
whole_lines() { # whole_lines FILE: every line of the audit log parses
	"$PYTHON3" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"
}
calls() {
	if [ -f "$T/argv.log" ]; then wc -l <"$T/argv.log"; else echo 0; fi
}

# --- links and directories ---------------------------------------------------

D="$T/links"
mkdir -m 700 "$D"
mkplan links "$D"
echo precious >"$T/victim"
ln -s "$T/victim" "$D/links.state.json.lock"
$CUTOVER -c "$T/links.yaml" advance --yes >"$T/out" 2>"$T/err"
is "a link as the lock file: exit 74" "$?" 74
like "it names the link" "$(cat "$T/err")" "links.state.json.lock is a symbolic link"
is "the link's target is untouched" "$(cat "$T/victim")" "precious"
rm "$D/links.state.json.lock"

ln -s "$T/victim" "$D/links.audit.jsonl"
$CUTOVER -c "$T/links.yaml" advance --yes >"$T/out" 2>"$T/err"
is "a link as the audit log: exit 74" "$?" 74
like "it names the link" "$(cat "$T/err")" "links.audit.jsonl is a symbolic link"
is "the link's target is untouched" "$(cat "$T/victim")" "precious"
is "nothing was applied" "$(calls)" 0
$CUTOVER -c "$T/links.yaml" pause >"$T/out" 2>"$T/err"
is "a refusal is not appended through the link either" "$(cat "$T/victim")" "precious"
rm "$D/links.audit.jsonl"

rm -f "$D/links.state.json"
ln -s "$T/victim" "$D/links.state.json"
$CUTOVER -c "$T/links.yaml" status >"$T/out" 2>"$T/err"
is "a link as the state file: status exits 74" "$?" 74
like "it names the link" "$(cat "$T/err")" "links.state.json is a symbolic link"
$CUTOVER -c "$T/links.yaml" advance --yes >"$T/out" 2>"$T/err"
is "advance exits 74 too" "$?" 74
is "the link's target is untouched" "$(cat "$T/victim")" "precious"
ok "the link is still a link" test -L "$D/links.state.json"
rm "$D/links.state.json"

chmod 777 "$D"
$CUTOVER -c "$T/links.yaml" advance --yes >"$T/out" 2>"$T/err"
is "a world-writable directory without the sticky bit: exit 74" "$?" 74
like "it says why" "$(cat "$T/err")" "world-writable without the sticky bit"
chmod 770 "$D"
$CUTOVER -c "$T/links.yaml" advance --yes >"$T/out" 2>"$T/err"
is "a group-writable one: exit 74" "$?" 74
like "it says why" "$(cat "$T/err")" "group-writable without the sticky bit"
is "nothing was applied in any of these" "$(calls)" 0
chmod 1777 "$D"
$CUTOVER -c "$T/links.yaml" status >"$T/out" 2>"$T/err"
is "with the sticky bit the directory is accepted" "$?" 0
chmod 700 "$D"
if [ "$(id -u)" -eq 0 ] && chown nobody "$D" 2>/dev/null; then
	$CUTOVER -c "$T/links.yaml" status >"$T/out" 2>"$T/err"
	is "a directory owned by another user: exit 74" "$?" 74
	like "it names the owner" "$(cat "$T/err")" "belongs to uid [0-9]+, not to you"
	chown 0 "$D"
else
	pass "a directory owned by another user # SKIP not root"
	pass "it names the owner # SKIP not root"
fi

# --- no record, no step forward ------------------------------------------------

# The audit log cannot take a line (it is over the file size limit).
D="$T/full"
mkdir -m 700 "$D"
mkplan full "$D"
"$PYTHON3" -c 'import sys; sys.stdout.write(("{\"action\":\"pad\"}\n") * 64)' \
	>"$D/full.audit.jsonl"
limited $CUTOVER -c "$T/full.yaml" advance --yes
is "audit log cannot be written: advance exits 74" "$(cat "$T/rc")" 74
like "it says so" "$(cat "$T/out")" "cannot write audit log .*nothing"
is "nothing was applied" "$(calls)" 0
ok "no state file says otherwise" test ! -f "$D/full.state.json"

# The state file cannot be written (a full state directory), the audit
# log can (a fresh one, smaller than the limit).
rm -f "$D/full.audit.jsonl" "$D/full.state.json"
limited $CUTOVER -c "$T/full.yaml" advance --yes
is "state file cannot be written: advance exits 74" "$(cat "$T/rc")" 74
like "it names the state file" "$(cat "$T/out")" "state file cannot be written.*nothing applied"
is "nothing was applied" "$(calls)" 0
ok "no torn line in the audit log" whole_lines "$D/full.audit.jsonl"
$CUTOVER -c "$T/full.yaml" advance --yes >"$T/out" 2>"$T/err"
is "with room again the advance goes" "$?" 0
is "the driver applied stage 1 exactly once" "$(cat "$T/argv.log")" "10 90 1"
is "the state file is at stage 1" \
	"$(json "$D/full.state.json" 'd["state"]["stage"], d["state"]["applied"]["istio"]')" "(1, 10)"

# A rollback goes ahead without its record, and says so.
"$PYTHON3" -c 'import sys; sys.stdout.write(("{\"action\":\"pad\"}\n") * 64)' \
	>>"$D/full.audit.jsonl"
limited $CUTOVER -c "$T/full.yaml" rollback --yes
is "rollback without a record exits 74" "$(cat "$T/rc")" 74
like "it says the record was lost" "$(cat "$T/out")" "rollback went ahead, but its record was lost"
is "the rollback was applied" "$(tail -n 1 "$T/argv.log")" "0 100 0"

# A retry of a failed shift is a step forward too.
touch "$T/fail"
$CUTOVER -c "$T/full.yaml" advance --yes --force >"$T/out" 2>&1
is "a failing driver leaves the phase in error" \
	"$(json "$D/full.state.json" 'd["state"]["phase"]')" "error"
rm -f "$T/fail"
n=$(calls)
limited $CUTOVER -c "$T/full.yaml" retry --yes
is "retry without a record exits 74" "$(cat "$T/rc")" 74
is "and applies nothing" "$(calls)" "$n"
rm -f "$T/argv.log" "$T/weights"

# --- drift ---------------------------------------------------------------------

D="$T/drift"
mkdir -m 700 "$D"
mkplan drift "$D"
C="$CUTOVER -c $T/drift.yaml"
$C advance --yes >/dev/null 2>&1
$C advance --yes --force >/dev/null 2>&1
$C advance --yes --force >/dev/null 2>&1
is "stage 3 at 50%" "$(json "$D/drift.state.json" 'd["state"]["stage"], d["state"]["applied"]["istio"]')" "(3, 50)"
# Someone else puts 10% back.
echo "istio=10 apisix=90" >"$T/weights"
$C advance --yes >"$T/out" 2>"$T/err"
is "advance after drift is refused" "$?" 1
like "it says what is in force" "$(cat "$T/err")" "istio 10% / apisix 90%, read back"
like "and how to get out" "$(cat "$T/err")" "cutover reconcile"
is "no driver call" "$(calls)" 3
is "audit: the refusal names the drift" \
	"$(count_audit "$D/drift.audit.jsonl" advance refused "changed outside cutover")" 1
$C status >"$T/out" 2>"$T/err"
like "status shows the drift" "$(cat "$T/out")" "DRIFT"
$C reconcile >"$T/out" 2>"$T/err"
is "reconcile adopts the weights in force" "$?" 0
is "state: stage 1 at 10%, holding afresh" \
	"$(json "$D/drift.state.json" 'd["state"]["stage"], d["state"]["applied"]["istio"], d["state"]["phase"], d["state"]["hold_ms"]')" \
	"(1, 10, 'holding', 0)"
is "audit: reconcile ok" "$(count_audit "$D/drift.audit.jsonl" reconcile ok adopted)" 1
$C advance --yes --force >"$T/out" 2>"$T/err"
is "the next advance goes from what is in force" "$(tail -n 1 "$T/argv.log")" "25 75 2"
echo "istio=33 apisix=67" >"$T/weights"
$C reconcile >"$T/out" 2>"$T/err"
is "weights of no stage: reconcile exits 1" "$?" 1
like "it says what to do" "$(cat "$T/err")" "no stage of the plan: roll back, or advance with --force"
$C advance --yes --force >"$T/out" 2>"$T/err"
is "--force takes the operator's word" "$(tail -n 1 "$T/argv.log")" "50 50 3"
rm -f "$T/argv.log" "$T/weights"

# --- watch only ----------------------------------------------------------------

D="$T/watch"
mkdir -m 700 "$D"
cat >"$T/watch.yaml" <<EOF
name: watch
state_file: $D/watch.state.json
audit_log: $D/watch.audit.jsonl
pods: []
EOF
C="$CUTOVER -c $T/watch.yaml"
$C reconcile >/dev/null 2>&1
json "$D/watch.state.json" 'd["state"], d["apply_in_flight"]' >"$T/before"
$C advance --yes >"$T/out" 2>"$T/err"
is "watch only: advance is refused" "$?" 1
like "it says there is no driver" "$(cat "$T/err")" "no traffic driver in the plan"
$C rollback --yes >"$T/out" 2>"$T/err"
is "watch only: rollback is refused" "$?" 1
json "$D/watch.state.json" 'd["state"], d["apply_in_flight"]' >"$T/after"
is "the state is unchanged" "$(cat "$T/after")" "$(cat "$T/before")"
is "audit: both refusals" \
	"$(count_audit "$D/watch.audit.jsonl" advance refused "no traffic driver") $(count_audit "$D/watch.audit.jsonl" rollback refused "no traffic driver")" "1 1"
$C reconcile >"$T/out" 2>"$T/err"
is "reconcile succeeds" "$?" 0
# A state left in error by an older cutover (the watch-only alarm).
"$PYTHON3" - "$D/watch.state.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["state"].update(phase="error", uncertain=True, target=1, seq=1,
                  pending={"istio": 10, "apisix": 90})
json.dump(d, open(sys.argv[1], "w"))
PY
$C reconcile >"$T/out" 2>"$T/err"
is "reconcile of an old error state, watch only: exit 0" "$?" 0
like "it says there is nothing to reconcile" "$(cat "$T/err")" "no traffic driver in the plan: nothing to reconcile"
