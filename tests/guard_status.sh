#!/bin/sh
# guard_status — `cutover status` with the plan's guard running prints the
# guard's view, what an attached dashboard draws (its pid, the rollback's
# verification that only the guard watched), text and --json alike, by
# the same printers as a local status; --no-guard queries on its own; and
# a configured source that fails makes it exit 3 through the guard too.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
plan 19

cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
echo "set istio=$1 apisix=$2"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<EOF2
name: status-test
state_file: $T/state/s.state.json
audit_log: $T/state/s.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
  readback_interval: 1s
rollback:
  verify_timeout: 30m
pods: []
guard:
  grace: 60s
EOF2
export T_DIR="$T"
C="$CUTOVER -c $T/cutover.yaml"
# jget FILE EXPR: a value of the JSON in FILE (d), printed.
jget() {
	"$PYTHON3" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# No guard: as before, and "guard" is null.
$C status --json >"$T/local.json" 2>"$T/err"
is "no guard: status --json exits 0" "$?" 0
is "no guard: \"guard\" is null" "$(jget "$T/local.json" 'd["guard"]')" "None"
$C status >"$T/local.txt" 2>&1
unlike "no guard: the text names no guard" "$(cat "$T/local.txt")" "through its guard"

guard_start $C >"$T/gs.out"
SOCK=$(sed -n 's/.*socket \([^,]*\),.*/\1/p' "$T/gs.out")
ok "the guard runs" test -S "$SOCK"

$C status >"$T/g.txt" 2>&1
is "through the guard: status exits 0" "$?" 0
like "through the guard: the text says so, with its pid" "$(cat "$T/g.txt")" \
	"^plan: +status-test \(.*, through its guard, pid $GUARD_PID\)$"
$C status --json >"$T/g.json" 2>"$T/err"
is "through the guard: \"guard\": {\"pid\": N}" \
	"$(jget "$T/g.json" 'd["guard"]["pid"]')" "$GUARD_PID"

# A rollback the guard watches: its verification is the guard's alone.
$C advance --yes >"$T/out" 2>&1
is "advance through the guard" "$?" 0
$C rollback --yes >"$T/out" 2>&1
is "rollback through the guard" "$?" 0
$C status --json >"$T/rb.json" 2>"$T/err"
"$PYTHON3" "$top_srcdir/tests/guardc.py" "$SOCK" view >"$T/view.json"
is "status --json: the rollback is being verified, as the guard watches" \
	"$(jget "$T/rb.json" 'd["rollback_verification"]')" "watching"
is "... the same as an attached dashboard's view" \
	"$(jget "$T/view.json" 'd["verify"]')" "watching"
is "status --json: phase and stage as the dashboard's view" \
	"$(jget "$T/rb.json" 'd["state"]["phase"], d["state"]["stage"]')" \
	"$(jget "$T/view.json" 'd["state"]["phase"], d["state"]["stage"]')"
$C status >"$T/rb.txt" 2>&1
like "status: the checklist after the rollback, as the dashboard's" \
	"$(cat "$T/rb.txt")" "rollback checklist:"
$C status --no-guard --json >"$T/ng.json" 2>"$T/err"
is "--no-guard: a local status, \"guard\" null, no verification seen" \
	"$(jget "$T/ng.json" '"%s %s" % (d["guard"], d["rollback_verification"])')" \
	"None none"
is "status --json: the keys of a local status in the same state" \
	"$(jget "$T/rb.json" 'sorted(d)')" "$(jget "$T/ng.json" 'sorted(d)')"

# A configured source that fails: exit 3 through the guard as without.
PORT=$(free_port)
cat >"$T/prom.yaml" <<EOF2
name: status-prom
state_file: $T/state/p.state.json
audit_log: $T/state/p.audit.jsonl
prometheus:
  url: http://127.0.0.1:$PORT
  timeout: 2s
pods: []
guard:
  grace: 60s
EOF2
P="$CUTOVER -c $T/prom.yaml"
guard_start $P >"$T/gs2.out"
PG=$GUARD_PID
status3() { $P status >"$T/p.txt" 2>&1; [ $? -eq 3 ]; }
ok "prometheus refused: status through the guard exits 3" wait_for 30 status3
like "... and names the error, through the guard (pid $PG)" "$(cat "$T/p.txt")" \
	"through its guard, pid $PG"

# A source the guard could not open (its kubeconfig): exit 3 as well.
cat >"$T/kube.yaml" <<EOF2
name: status-kube
state_file: $T/state/k.state.json
audit_log: $T/state/k.audit.jsonl
kubernetes:
  kubeconfig: $T/no-such-kubeconfig
pods:
  - name: api
    namespace: app
    selector: app=api
    min_ready: 1
guard:
  grace: 60s
EOF2
K="$CUTOVER -c $T/kube.yaml"
guard_start $K >"$T/gs3.out"
$K status >"$T/k.txt" 2>&1
is "no kubeconfig: status through the guard exits 3" "$?" 3
like "... the guard's note names it" "$(cat "$T/k.txt")" \
	"^sources: .*kubernetes: cannot read kubeconfig"
