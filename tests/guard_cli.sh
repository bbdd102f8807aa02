#!/bin/sh
# guard_cli — the plan's guard through the real binary, with an exec
# traffic driver that records its calls: it starts detached with its
# socket in a private directory, one guard per plan; the commands that act
# go through it (the lock is the guard's, so --no-guard is locked out);
# it reads the weights back on its own and an outside change is drift;
# a rollback goes through at once while a dashboard-like client is
# attached, which sees it; a user who is not an operator (nobody) may
# watch and is refused actions; a client of another protocol version, or
# sending garbage, gets a clear error and the guard goes on; SIGHUP does
# not stop it; --stop with traffic on Istio needs --yes and is audited;
# at stage 0 with no client it leaves after its grace.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
plan 59

cat >"$T/set.sh" <<'SH'
#!/bin/sh
echo "$*" >>"$T_DIR/argv.log"
while [ -f "$T_DIR/linger" ]; do sleep 0.05; done
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
echo "set istio=$1 apisix=$2"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
# The test directory must be reachable by nobody (the watcher test).
chmod 755 "$T"
chmod 711 "$T/run"
mkdir -p "$T/state"
chmod 755 "$T/state"
cat >"$T/cutover.yaml" <<EOF2
name: guard-test
state_file: $T/state/g.state.json
audit_log: $T/state/g.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
  readback_interval: 1s
pods: []
guard:
  operators: [root, $(id -un)]
  socket_group: nogroup
  grace: 60s
EOF2
chmod 644 "$T/cutover.yaml"
export T_DIR="$T"
C="$CUTOVER -c $T/cutover.yaml"
audit_has() { # audit_has ACTION FIELD VALUE: a line of ACTION with actor FIELD = VALUE
	"$PYTHON3" - "$T/state/g.audit.jsonl" "$1" "$2" "$3" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["action"] == sys.argv[2] and str(d["actor"].get(sys.argv[3], d.get(sys.argv[3]))) == sys.argv[4]:
        sys.exit(0)
sys.exit(1)
PY
}
alive() { kill -0 "$GUARD_PID" 2>/dev/null; }
gone() { ! kill -0 "$GUARD_PID" 2>/dev/null; }

guard_start $C >"$T/gs.out"
out=$(cat "$T/gs.out")
like "the guard starts detached and says its pid and socket" "$out" \
	"guard of plan guard-test: pid [0-9]+, socket $T/run/cutover/guard-test-[0-9a-f]{8}\.sock"
SOCK=$(echo "$out" | sed -n 's/.*socket \([^,]*\),.*/\1/p')
ok "its socket is there" test -S "$SOCK"
is "the socket's directory is the group's, 0710" \
	"$(stat -c '%a %G' "$T/run/cutover")" "710 nogroup"
is "the socket is 0660" "$(stat -c '%a' "$SOCK")" "660"
ok "it logs next to the state file" test -f "$T/state/g.guard.log"

$C guard >"$T/out" 2>&1
is "a second guard of the same plan is refused (the lock)" "$?" 75

$C advance --yes --reason "first step" >"$T/out" 2>"$T/err"
is "advance goes through the guard" "$?" 0
like "... and says so" "$(cat "$T/out")" "through its guard, pid $GUARD_PID"
like "... stage 1 holding" "$(cat "$T/out")" "stage: +1/5 +phase: holding"
is "the driver was asked once" "$(cat "$T/argv.log")" "10 90 1"
ok "the audit line names the client (its pid, not the guard's)" \
	sh -c "! audit_has advance pid $GUARD_PID" 2>/dev/null
ok "... and the reason" audit_has advance reason "first step"

$C advance --yes --no-guard >"$T/out" 2>"$T/err"
is "--no-guard acts alone and finds the lock taken" "$?" 75

# Weights changed outside: the guard's periodic read-back finds the drift.
echo "istio=25 apisix=75" >"$T/weights"
wait_for 10 audit_has reconcile_mismatch result warning
ok "the guard reads back by itself and audits the drift" \
	audit_has reconcile_mismatch result warning
$C advance --yes >"$T/out" 2>"$T/err"
is "an advance is refused while weights drifted" "$?" 1
like "... saying why" "$(cat "$T/err")" "advance refused: .*(drift|outside|reconcile)"
$C reconcile >"$T/out" 2>"$T/err"
is "reconcile through the guard adopts the stage in force" "$?" 0
like "... stage 2" "$(cat "$T/out")" "stage: +2/5"
is "the driver was not asked meanwhile" "$(wc -l <"$T/argv.log")" 1
# An action a command sent unasked (its view said the guard would refuse
# it) is refused when the guard would now let it through.
out=$("$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" unasked advance)
like "an unasked advance the guard would allow is refused" "$out" \
	'"ok": false.*not confirmed'
is "... the driver was not asked" "$(wc -l <"$T/argv.log")" 1

# Each view says what changed since the client's last one: all of it
# first, then (at rest) the second's tick alone, so that a dashboard
# redraws only its clock; the answers of a refresh come coalesced.
"$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" changes 3 >"$T/changes.out"
is "a client's first view: everything changed" "$(head -n 1 "$T/changes.out")" 65535
ok "... then a second's tick alone (the clock)" grep -qx 32 "$T/changes.out"
ok "... and never everything again" \
	sh -c "! tail -n +2 '$T/changes.out' | grep -qx 65535"
ok "... at most ten views a second" \
	test "$(wc -l <"$T/changes.out")" -le 31

# A dashboard-like client attached; a rollback from elsewhere goes at once.
"$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" watch 20 rolled_back \
	>"$T/watch.out" 2>&1 &
WATCH=$!
track $WATCH
wait_for 10 grep -q ready "$T/watch.out"
ok "a watching client is attached" grep -q ready "$T/watch.out"
start=$(date +%s)
$C rollback --yes >"$T/out" 2>"$T/err"
is "rollback with a client attached succeeds" "$?" 0
end=$(date +%s)
ok "... within 2 s" test $((end - start)) -le 2
wait "$WATCH"
is "the attached client saw the rollback" "$?" 0
like "... in its view" "$(cat "$T/watch.out")" "seen rolled_back"
is "the driver set 0/100" "$(tail -n 1 "$T/argv.log")" "0 100 0"

# nobody reaches the socket (its group) but is not an operator.
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME="$T" $C advance --yes >"$T/out" 2>"$T/err"
	is "nobody is refused an action" "$?" 1
	like "... with a clear message" "$(cat "$T/err")" \
		"advance refused: nobody may only watch"
	# A python nobody can run (a per-user install may not be).
	py=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		sh -c 'for p in "$1" /usr/bin/python3 /usr/local/bin/python3; do
			"$p" -c "" 2>/dev/null && { echo "$p"; exit; }; done' \
		sh "$(command -v "$PYTHON3")")
	if [ -n "$py" ]; then
		cp "$top_srcdir/tests/guardc.py" "$T/guardc.py"
		chmod 644 "$T/guardc.py"
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$py" "$T/guardc.py" "$SOCK" watch 5 rolled_back \
			>"$T/out" 2>&1
		is "nobody may watch" "$?" 0
	else
		skip_one "nobody may watch" "no python3 that nobody can run"
	fi
else
	skip_one "nobody is refused an action" "not root"
	skip_one "... with a clear message" "not root"
	skip_one "nobody may watch" "not root"
fi
is "nothing more reached the driver" "$(wc -l <"$T/argv.log")" 2

out=$("$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" version 99)
like "another protocol version gets a clear error" "$out" \
	'"message": "the client speaks protocol version 99 and this guard version 2'
like "... and is closed" "$out" "closed"
out=$("$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" garbage)
like "a line that is not JSON gets an error" "$out" '"bad line: not JSON'
out=$("$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" long)
like "an overlong line gets an error" "$out" "longer than the protocol allows"
ok "the guard goes on" alive

kill -HUP "$GUARD_PID"
$C pause --yes >"$T/out" 2>&1
ok "SIGHUP does not stop it" alive

# Rolled back but not verified (no Prometheus): still on Istio.
$C guard --stop </dev/null >"$T/out" 2>"$T/err"
is "--stop with traffic on Istio and no terminal is refused" "$?" 1
like "... saying nobody would watch" "$(cat "$T/err")" \
	"nobody will watch the gates"
ok "... and the guard goes on" alive
$C guard --stop --yes --reason "maintenance" >"$T/out" 2>&1
is "--stop --yes stops it" "$?" 0
wait_for 10 gone
ok "... and it is gone" gone
ok "... audited with the reason" audit_has guard_stop reason maintenance
ok "... and its socket removed" test ! -e "$SOCK"

# kill -9 while the driver works: the next guard settles the apply from
# the state file, reading the weights back; nothing is applied twice.
rm -f "$T/state/g.state.json" "$T/weights"
: >"$T/argv.log"
guard_start $C >"$T/gs.out"
"$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" watch 30 nothing \
	>"$T/watch.out" 2>&1 &
WATCH=$!
track $WATCH
wait_for 10 grep -q ready "$T/watch.out"
touch "$T/linger"
$C advance --yes >"$T/bg.out" 2>&1 &
BG=$!
track $BG
wait_for 10 test -s "$T/argv.log"
kill -9 "$GUARD_PID"
wait "$BG"
is "the command waiting on a killed guard says so (exit 74)" "$?" 74
like "... guard down" "$(cat "$T/bg.out")" "guard down"
wait "$WATCH"
like "an attached client sees the guard go" "$(cat "$T/watch.out")" "closed"
is "the state file marks the apply in flight" \
	"$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["apply_in_flight"])' "$T/state/g.state.json")" True
rm -f "$T/linger"
wait_for 10 grep -q istio=10 "$T/weights"
guard_start $C >"$T/gs.out"
wait_for 10 sh -c "$C status | grep -q 'phase: holding'"
like "the new guard settled it: stage 1" "$($C status 2>/dev/null)" "stage: +1/5 +phase: holding"
is "the driver was asked once, never twice" "$(grep -c '^10 90 1$' "$T/argv.log")" 1
ok "the settling is audited" audit_has reconcile reason "interrupted apply had taken effect"
$C guard --stop --yes >"$T/out" 2>&1
is "... and it stops" "$?" 0
wait_for 10 gone

# At stage 0 (a fresh state) with no client, it leaves after its grace.
rm -f "$T/state/g.state.json" "$T/weights"
sed -i 's/grace: 60s/grace: 1s/' "$T/cutover.yaml"
guard_start $C >"$T/gs.out"
ok "a guard at stage 0 starts" alive
wait_for 15 gone
ok "... and leaves by itself after its grace with no client" gone
ok "... audited" audit_has guard_stop reason "idle at stage 0 with no client"
