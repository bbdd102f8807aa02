#!/bin/sh
# guard_demo — the guard alone keeps the gates: the demo's guard, with no
# dashboard, advances on its autopilot into the demo's error spike at
# stage 3, and rolls back by itself after the consecutive breaches; the
# audit log has the automatic rollback with the values seen, by the
# guard's process.  A client that watched sees it; once the last client
# has gone, the demo's guard ends (nothing is left running).
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
plan 7

guard_start $CUTOVER --demo --demo-speed 1200 >"$T/gs.out"
ok "the demo's guard starts" kill -0 "$GUARD_PID"
SOCK=$(sed -n 's/.*socket \([^,]*\),.*/\1/p' "$T/gs.out")
AUDIT="$XDG_STATE_HOME/cutover/demo.audit.jsonl"

"$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" watch 90 rolled_back \
	>"$T/watch.out" 2>&1
is "a watching client sees the guard roll back" "$?" 0
"$PYTHON3" - "$AUDIT" "$GUARD_PID" >"$T/auto.out" 2>&1 <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["action"] == "auto_rollback":
        print("pid", d["actor"]["pid"], "stage", d["stage_from"],
              "verdict", d["metrics"]["verdict"],
              "error_rate", d["metrics"]["gates"]["error_rate"]["value"])
PY
like "the audit log has the automatic rollback from stage 3" \
	"$(cat "$T/auto.out")" "stage 3 verdict fail"
like "... by the guard's process" "$(cat "$T/auto.out")" "^pid $GUARD_PID "
like "... with the error rate seen" "$(cat "$T/auto.out")" \
	"error_rate [0-9.e-]+$"
wait_for 10 sh -c "! kill -0 $GUARD_PID"
ok "the demo's guard ends with its last client" sh -c "! kill -0 $GUARD_PID"
ok "... and removes its socket" test ! -e "$SOCK"
