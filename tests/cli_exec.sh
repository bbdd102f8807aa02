#!/bin/sh
# cli_exec — the one-shot commands through the real binary with an exec
# traffic driver whose scripts record what they were asked: advances move
# the weights 10, 25, 50, 75 with the plan's guards and confirmations, a
# rollback sets 0/100, a failing driver is reported and retried, the lock
# keeps a second process out, and the audit log has one line per action.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
# The one process that acts, and its lock (a guard is its own test).
CUTOVER="$CUTOVER --no-guard"
plan 38

cat >"$T/set.sh" <<'SH'
#!/bin/sh
# record argv; fail or linger when told to
echo "$*" >>"$T_DIR/argv.log"
if [ -f "$T_DIR/fail" ]; then echo "boom: no credentials for the front end" >&2; exit 3; fi
while [ -f "$T_DIR/linger" ]; do sleep 0.05; done
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
echo "set istio=$1 apisix=$2"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<EOF2
name: exec-test
state_file: $T/state/exec.state.json
audit_log: $T/state/exec.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
EOF2
export T_DIR="$T"
C="$CUTOVER -c $T/cutover.yaml"

json() { # json FILE EXPR: print a Python expression over the parsed JSON
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
count_audit() { # count_audit ACTION [RESULT]
	"$PYTHON3" - "$T/state/exec.audit.jsonl" "$1" "${2:-}" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["action"] == sys.argv[2] and (not sys.argv[3] or d["result"] == sys.argv[3]):
        n += 1
print(n)
PY
}

ok "check accepts the plan" $C check

# No terminal and no --yes: nothing happens.
$C advance </dev/null >"$T/out" 2>"$T/err"
is "advance without --yes and no tty is refused" "$?" 1
like "it says to pass --yes" "$(cat "$T/err")" "pass --yes"
is "no driver call" "$(cat "$T/argv.log" 2>/dev/null)" ""

$C advance --yes >"$T/out" 2>"$T/err"
is "advance to stage 1" "$?" 0
like "prints stage 1" "$(cat "$T/out")" "stage: +1/5 +phase: holding"

$C advance --yes >"$T/out" 2>"$T/err"
is "advance during the hold without data is refused" "$?" 1
like "refusal names the guard" "$(cat "$T/err")" "refused: (the hold is not over|no data)"

for k in 2 3 4; do
	$C advance --yes --force --reason "test stage $k" >"$T/out" 2>"$T/err"
	is "forced advance to stage $k" "$?" 0
done
json "$T/state/exec.state.json" 'd["state"]["stage"], d["state"]["applied"]["istio"], d["apply_in_flight"]' >"$T/got"
is "state file: stage 4 at 75%, nothing in flight" "$(cat "$T/got")" "(4, 75, False)"

$C rollback --yes >"$T/out" 2>"$T/err"
is "rollback" "$?" 0
like "rolled back" "$(cat "$T/out")" "phase: rolled_back"

printf '10 90 1\n25 75 2\n50 50 3\n75 25 4\n0 100 0\n' >"$T/want"
is "driver saw 10, 25, 50, 75 then 0/100, each once" "$(cat "$T/argv.log")" "$(cat "$T/want")"

is "audit: 4 advances started" "$(count_audit advance started)" 4
is "audit: 1 advance refused" "$(count_audit advance refused)" 1
is "audit: 1 rollback" "$(count_audit rollback)" 1
is "audit: 4 stages entered" "$(count_audit stage_entered)" 4
is "audit: 1 rolled back" "$(count_audit rolled_back)" 1
"$PYTHON3" - "$T/state/exec.audit.jsonl" >"$T/actors" <<'PY'
import json, sys
bad = [l for l in open(sys.argv[1]) if not json.loads(l)["actor"]["user"] or not json.loads(l)["actor"]["pid"]]
print(len(bad))
PY
is "audit: every line has an actor" "$(cat "$T/actors")" 0
like "audit: the operator's reason is kept" "$(cat "$T/state/exec.audit.jsonl")" '"reason": ?"test stage 3"'

$C status --json >"$T/status.json"
is "status --json exits 0" "$?" 0
is "status: read back from the get command" \
	"$(json "$T/status.json" 'd["read_back"]["istio"], d["state"]["phase"]')" "(0, 'rolled_back')"

# Advancing after a rollback takes --force.
$C advance --yes >/dev/null 2>"$T/err"
is "advance after rollback needs --force" "$?" 1

# A failing driver: exit 2, phase error, the child's stderr in the message.
touch "$T/fail"
$C advance --yes --force >"$T/out" 2>"$T/err"
is "failing driver exits 2" "$?" 2
like "the driver's stderr is reported" "$(cat "$T/err")" "boom: no credentials"
is "state: error, weights uncertain" \
	"$(json "$T/state/exec.state.json" 'd["state"]["phase"], d["state"]["uncertain"]')" "('error', True)"
rm -f "$T/fail"
$C retry --yes >"$T/out" 2>"$T/err"
is "retry succeeds" "$?" 0
is "after retry: stage 1 at 10%" \
	"$(json "$T/state/exec.state.json" 'd["state"]["stage"], d["state"]["applied"]["istio"]')" "(1, 10)"

# The lock: while one cutover waits on its driver, another cannot act.
touch "$T/linger"
calls=$(wc -l <"$T/argv.log")
$C advance --yes --force >"$T/bg.out" 2>&1 &
bg=$!
track $bg
wait_for 10 test "$(wc -l <"$T/argv.log")" -gt "$calls"
$C pause >"$T/out" 2>"$T/err"
is "second process is locked out (exit 75)" "$?" 75
like "the message names the holder" "$(cat "$T/err")" "another cutover holds the plan: pid $bg"
$C status >"$T/out" 2>&1
like "status still works read-only" "$(cat "$T/out")" "phase: shifting"
rm -f "$T/linger"
wait $bg
is "the first process finishes its shift" "$?" 0

# Without a writable audit log nothing moves forward; a rollback still goes.
: >"$T/notadir"
sed -e "s|audit_log: .*|audit_log: $T/notadir/exec.audit.jsonl|" \
	-e "s|state_file: .*|state_file: $T/state2/exec.state.json|" \
	"$T/cutover.yaml" >"$T/noaudit.yaml"
$CUTOVER -c "$T/noaudit.yaml" advance --yes >"$T/out" 2>"$T/err"
is "advance without an audit log is refused (exit 74)" "$?" 74
like "the refusal names the audit log" "$(cat "$T/err")" "audit log: .*: nothing moves forward without a record"
$CUTOVER -c "$T/noaudit.yaml" rollback --yes >"$T/out" 2>"$T/err"
is "rollback without an audit log still runs (exit 74: no record)" "$?" 74
like "and says the audit line was lost" "$(cat "$T/err" "$T/out")" "rollback went ahead, but its record was lost: audit log"
