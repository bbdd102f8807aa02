#!/bin/sh
# guard_auto — a stage is never left unwatched: a CLI `advance` with no
# dashboard and no guard starts the plan's guard and goes through it; the
# new guard answers once it has judged (the weights read back, which take
# a second here, and the preflight), the command exits, and the guard
# alone judges the gates (the Kubernetes API test server's gateway pods)
# and rolls back on the consecutive breaches, with the values in the audit
# line.  Two advances started at the same moment end with one guard, both
# through it.  `--no-guard` acts alone, says what it gives up, and leaves
# nothing running.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
plan 22
. "$top_srcdir/tests/kubeapi.sh"

kubeapi_start --pods "$top_srcdir/tests/fixtures/preflight/pods" \
	--token auto-token-1
kubeapi_kubeconfig auto-token-1
cat >"$T/set.sh" <<'SH'
#!/bin/sh
echo "$*" >>"$T_DIR/argv.log"
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
[ -f "$T_DIR/slow" ] && sleep 1
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
export T_DIR="$T"
cat >"$T/cutover.yaml" <<EOF
name: auto-test
state_file: $T/state/a.state.json
audit_log: $T/state/a.audit.jsonl
refresh: 1s
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 3s
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 10s
pods:
  - name: gateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 3
    side: istio
rollback:
  consecutive: 2
guard:
  grace: 60s
EOF
C="$CUTOVER -c $T/cutover.yaml"
GW=istio-ingressgateway-5f6d7c8b9
phase() {
	"$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1]))["state"]; print(s["phase"], s["stage"])' \
		"$T/state/a.state.json" 2>/dev/null
}
sock() { ls "$XDG_RUNTIME_DIR"/cutover/*.sock 2>/dev/null; }

# (g) No dashboard, no guard: the advance starts one.  The weights take a
# second to read back: the new guard answers once it has judged them.
ok "no guard runs at first" test -z "$(own_cutovers)"
touch "$T/slow"
$C advance --yes --reason "auto g" >"$T/out" 2>"$T/err"
is "advance with no guard running exits 0" "$?" 0
rm -f "$T/slow"
like "it says it started the guard, which watches after it exits" \
	"$(cat "$T/err")" \
	"started the guard of plan auto-test \(pid [0-9]+\): it watches the gates after this command exits"
GPID=$(sed -n 's/.*(pid \([0-9][0-9]*\)).*/\1/p' "$T/err")
like "... and went through it" "$(cat "$T/out")" \
	"through its guard, pid $GPID"
is "stage 1, holding" "$(phase)" "holding 1"
ok "the guard runs after the command exited" kill -0 "$GPID"
is "... and it is the only cutover left" "$(own_cutovers | tr -d ' ')" "$GPID"
ok "... with its socket" test -S "$(sock)"
is "the advance was judged by the guard, and applied once" \
	"$(cat "$T/argv.log")" "10 90 1"

# The gateway loses a pod: the guard alone rolls back.
ctl POST "/_test/pod?namespace=istio-system&name=$GW-a1b2c&ready=false" \
	>/dev/null
wait_for 30 sh -c "grep -q '\"auto_rollback\"' '$T/state/a.audit.jsonl'"
"$PYTHON3" - "$T/state/a.audit.jsonl" >"$T/auto.out" 2>&1 <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["action"] == "auto_rollback":
        g = d["metrics"]["gates"]["pods"]
        print("pid", d["actor"]["pid"], "stage", d["stage_from"],
              "verdict", d["metrics"]["verdict"], "pods", g["verdict"],
              g.get("why", ""))
PY
like "the guard rolled back by itself, from stage 1" "$(cat "$T/auto.out")" \
	"stage 1 verdict fail"
like "... its own process, not the command's" "$(cat "$T/auto.out")" \
	"^pid $GPID "
like "... with the pods seen" "$(cat "$T/auto.out")" "pods fail .*2/3 ready"
wait_for 10 sh -c "tail -n 1 '$T/argv.log' | grep -q '^0 100 0'"
is "the driver set 0/100" "$(tail -n 1 "$T/argv.log")" "0 100 0"
ctl POST "/_test/pod?namespace=istio-system&name=$GW-a1b2c&ready=true" \
	>/dev/null
$C guard --stop --yes >/dev/null 2>&1
wait_for 10 sh -c "! kill -0 $GPID"
ok "the guard stops when asked" sh -c "! kill -0 $GPID"

# Two advances at once: one guard, both through it.
$C advance --yes --force --reason "race a" >"$T/a.out" 2>"$T/a.err" &
pa=$!
$C advance --yes --force --reason "race b" >"$T/b.out" 2>"$T/b.err" &
pb=$!
wait $pa
wait $pb
ga=$(sed -n 's/.*through its guard, pid \([0-9]*\)).*/\1/p' "$T/a.out")
gb=$(sed -n 's/.*through its guard, pid \([0-9]*\)).*/\1/p' "$T/b.out")
like "two advances at once: the first went through a guard" "$ga" "^[0-9]+$"
is "... the second through the same one" "$gb" "$ga"
is "... which is the only cutover left" "$(own_cutovers | tr -d ' ')" "$ga"
$C rollback --yes >/dev/null 2>&1
$C guard --stop --yes >/dev/null 2>&1
wait_for 10 sh -c "! kill -0 $ga"

# --no-guard: one process, and it says what it gives up.
: >"$T/argv.log"
$C advance --yes --force --no-guard >"$T/out" 2>"$T/err"
is "--no-guard advance exits 0" "$?" 0
like "it says nothing watches the gates once it exits" "$(cat "$T/err")" \
	"--no-guard: nothing watches the gates once this command exits: no hold timer, no automatic rollback"
is "... it applied the stage itself" "$(cat "$T/argv.log")" "10 90 1"
is "... and left no cutover running" "$(own_cutovers)" ""
