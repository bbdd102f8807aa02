#!/bin/sh
# kill9 — cutover killed with SIGKILL while its driver child runs.  The
# state file shows the interrupted shift; `cutover reconcile` reads the
# weights back and settles it: done when the child had finished, error
# (retry or roll back) when it had not.  No weight is ever applied twice.
# The cutover killed is the one process (--no-guard): a guard is its own test.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
plan 12

cat >"$T/set.sh" <<'SH'
#!/bin/sh
echo "$*" >>"$T_DIR/argv.log"
while [ -f "$T_DIR/linger" ]; do sleep 0.05; done
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<EOF2
name: kill9
state_file: $T/state/k.state.json
audit_log: $T/state/k.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 30s
pods: []
EOF2
export T_DIR="$T"
C="$CUTOVER -c $T/cutover.yaml"
state() {
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["state"]; print(s["phase"], s["stage"], s["target"], s["uncertain"], d["apply_in_flight"])' "$T/state/k.state.json"
}

# Case 1: the child finishes after cutover died.
touch "$T/linger"
$C advance --yes --no-guard >/dev/null 2>&1 &
pid=$!
wait_for 10 grep -q "^10 90 1" "$T/argv.log"
kill -9 $pid
wait $pid 2>/dev/null
is "state shows the interrupted shift" "$(state)" "shifting 0 1 False True"
rm -f "$T/linger"
wait_for 10 test -f "$T/weights"
$C reconcile >"$T/out" 2>"$T/err"
is "reconcile exits 0" "$?" 0
is "the shift is settled as done" "$(state)" "holding 1 1 False False"
is "the driver was called once" "$(wc -l <"$T/argv.log" | tr -d ' ')" 1
like "audit records the reconcile" "$(cat "$T/state/k.audit.jsonl")" '"action": ?"reconcile".*"result": ?"ok"'

# Case 2: cutover and its child both die before the weights change.
touch "$T/linger"
$C advance --yes --force --no-guard >/dev/null 2>&1 &
pid=$!
wait_for 10 grep -q "^25 75 2" "$T/argv.log"
kill -9 $pid
wait $pid 2>/dev/null
pkill -9 -f "$T/set.sh"
is "state shows the second interrupted shift" "$(state)" "shifting 1 2 False True"
rm -f "$T/linger"
$C reconcile >"$T/out" 2>"$T/err"
is "reconcile reports the failed shift (exit 2)" "$?" 2
like "it says what it read back" "$(cat "$T/err")" "read back istio 10%, wanted 25%"
is "phase error, weights uncertain, nothing in flight" "$(state)" "error 1 2 True False"
is "nothing was applied again" "$(wc -l <"$T/argv.log" | tr -d ' ')" 2
$C retry --yes >/dev/null 2>&1
is "an explicit retry applies stage 2" "$(state)" "holding 2 2 False False"
is "exactly one more driver call" "$(tail -n 1 "$T/argv.log")" "25 75 2"
