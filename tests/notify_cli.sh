#!/bin/sh
# notify_cli — the plan's notify: targets through the real binary, against
# loopback servers that check each format: Slack (text + blocks, answered
# "ok"), a webhook (the audit record itself), Grafana (an annotation with
# the bearer token from its file, the audit line's time and tags) and the
# Kubernetes API test server (an events.k8s.io/v1 Event, validated as the
# API server does, regarding the Istio gateway Deployment).  A target that
# always fails is given up after its retries and audited once; one that
# hangs (a server that never answers) delays no action — the rollback's
# audit lines are as close together as without it — and what it still had
# queued when the command ended is given up, audited.  The Slack URL (a
# credential) and the Grafana token appear in no output, audit line or
# event-log text; a Slack `url:` in the plan is refused.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
"$PYTHON3" -c 'import json' 2>/dev/null || skip_all "python3 not found"
plan 34
. "$top_srcdir/tests/kubeapi.sh"

kubeapi_start --token events-token
kubeapi_kubeconfig events-token
KPORT=$PORT

GTOKEN="glsa_notify-s3cret-$$"
"$PYTHON3" "$top_srcdir/tests/notifyd.py" --log "$T/seen.jsonl" \
	--grafana-token "$GTOKEN" >"$T/notifyd.out" 2>"$T/notifyd.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/notifyd.out"
NPORT=$(awk '/^ready /{print $2}' "$T/notifyd.out")
ok "notifyd.py starts" test -n "$NPORT"

"$PYTHON3" "$top_srcdir/tests/silentd.py" >"$T/silent.out" 2>&1 &
track $!
wait_for 10 grep -q '^ready ' "$T/silent.out"
SPORT=$(awk '/^ready /{print $2}' "$T/silent.out")

SLACK_SECRET="T0001/B0001/slack-s3cret-$$"
printf 'http://127.0.0.1:%s/slack/%s\n' "$NPORT" "$SLACK_SECRET" >"$T/slack.url"
printf '%s\n' "$GTOKEN" >"$T/grafana.token"
chmod 600 "$T/slack.url" "$T/grafana.token"

cat >"$T/set.sh" <<'SH'
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
export T_DIR="$T"
plan_with() { # plan_with FILE EXTRA-TARGETS
	cat >"$1" <<PLAN
name: notify-test
refresh: 2s
istio_namespace: istio-system
istio_workload: istio-ingressgateway
state_file: $T/state/notify.state.json
audit_log: $T/state/notify.audit.jsonl
kubernetes:
  kubeconfig: $T/kubeconfig
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
pods: []
notify:
  - type: slack
    url_file: $T/slack.url
    events: [stage_entered, rollback, rolled_back]
  - type: webhook
    url: http://127.0.0.1:$NPORT/hook/cutover
    events: [all]
  - type: grafana
    url: http://127.0.0.1:$NPORT
    token_file: $T/grafana.token
    dashboard_uid: istio-migration
    tags: [istio-migration]
  - type: kubernetes-events
$2
PLAN
}
plan_with "$T/cutover.yaml" ""
# The one-shot commands send their own notifications (--no-guard); the
# guard's are tested below.
C="$CUTOVER --no-guard -c $T/cutover.yaml"
mkdir -p "$T/state"

$C check >"$T/check.out" 2>&1
is "check accepts the notify: targets" "$?" 0
unlike "check prints no Slack URL" "$(cat "$T/check.out")" "slack-s3cret"

$C advance --yes --reason "CHG-7 <!channel>" >"$T/out" 2>"$T/err"
is "advance" "$?" 0

# seen KIND PYTHON-EXPR: over the list of requests the server saw at paths
# starting with KIND.
seen() {
	"$PYTHON3" - "$T/seen.jsonl" "$1" "$2" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
r = [q for q in reqs if q["path"].startswith(sys.argv[2])]
print(eval(sys.argv[3]))
PY
}
audit() { # audit PYTHON-EXPR over the audit lines
	"$PYTHON3" - "$T/state/notify.audit.jsonl" "$1" <<'PY'
import datetime, json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
def ms(t):  # an audit line's time, in epoch milliseconds
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    return round(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
print(eval(sys.argv[2]))
PY
}

is "Slack got one message: stage 1 entered" \
	"$(seen /slack/ 'len(r), "stage entered, stage 0 -> 1" in r[0]["body"]["text"]')" \
	"(1, True)"
is "... with text and blocks (stage, deciding gate, actor)" \
	"$(seen /slack/ '[b["type"] for b in r[0]["body"]["blocks"]], "Actor: " in r[0]["body"]["blocks"][1]["text"]["text"]')" \
	"(['section', 'section', 'context'], True)"
is "webhook got the advance and the stage entered, each its audit record" \
	"$(seen /hook/ '[q["body"]["event"] for q in r]')" \
	"['advance', 'stage_entered']"
is "... the record is the audit line, byte for byte as JSON" \
	"$(seen /hook/ 'r[1]["body"]["record"]' | tr -d ' ')" \
	"$(audit '[x for x in a if x["action"] == "stage_entered"][0]' | tr -d ' ')"
like "... an operator's reason reaches Slack escaped, never as a mention" \
	"$(seen /slack/ 'r[0]["body"]["text"]') $(seen /hook/ 'r[0]["body"]["text"]')" \
	"CHG-7"
unlike "... no raw <!channel> in what Slack got" "$(cat "$T/seen.jsonl" | grep '/slack/')" "<!channel>"
is "Grafana: one annotation with the bearer token, board and tags" \
	"$(seen /api/annotations '[(q["headers"]["Authorization"] == "Bearer '"$GTOKEN"'", q["body"]["dashboardUID"], q["body"]["tags"]) for q in r]')" \
	"[(True, 'istio-migration', ['istio-migration', 'cutover', 'stage_entered'])]"
is "... at the audit line's time" \
	"$(seen /api/annotations 'r[0]["body"]["time"]')" \
	"$(audit 'ms([x for x in a if x["action"] == "stage_entered"][0]["time"])')"
ctl GET /_test/events >"$T/events.json"
is "Kubernetes: one Event, accepted by the API's validation" \
	"$(json "$T/events.json" '[(e["type"], e["reason"], e["reportingController"], e["metadata"]["namespace"]) for e in d["items"]]')" \
	"[('Normal', 'StageEntered', 'cutover', 'istio-system')]"
is "... regarding the Istio gateway Deployment" \
	"$(json "$T/events.json" 'd["items"][0]["regarding"]')" \
	"{'apiVersion': 'apps/v1', 'kind': 'Deployment', 'namespace': 'istio-system', 'name': 'istio-ingressgateway'}"

$C rollback --yes >"$T/out" 2>"$T/err"
is "rollback" "$?" 0
is "Slack: rollback and rolled back too" \
	"$(seen /slack/ 'len(r)')" 3
is "Events: a Warning for the rollback" \
	"$(ctl GET /_test/events | "$PYTHON3" -c 'import json,sys; print([e["type"] for e in json.load(sys.stdin)["items"] if e["reason"] == "Rollback"])')" \
	"['Warning']"
is "no notify_failed while every target answers" \
	"$(audit 'len([x for x in a if x["action"] == "notify_failed"])')" 0

# A target that always fails: given up after its retries, audited once.
plan_with "$T/failing.yaml" "  - type: webhook
    name: broken
    url: http://127.0.0.1:$NPORT/fail/x
    retries: 1
    events: [all]"
$CUTOVER --no-guard -c "$T/failing.yaml" advance --yes --force >"$T/out" 2>"$T/err"
is "advance with a failing target still succeeds" "$?" 0
is "its failure is audited once per message given up, naming the target" \
	"$(audit '[x["reason"].split(":")[0] for x in a if x["action"] == "notify_failed"]')" \
	"['notify broken (advance)', 'notify broken (stage_entered)']"
is "the failing target was tried twice per message (retries: 1)" \
	"$(seen /fail/ 'len(r)')" 4

# A target that hangs: the rollback is not delayed by it.
plan_with "$T/hung.yaml" "  - type: webhook
    name: hung
    url: http://127.0.0.1:$SPORT/x
    timeout: 30s
    events: [all]"
$CUTOVER --no-guard -c "$T/hung.yaml" rollback --yes >"$T/out" 2>"$T/err"
is "rollback with a hung target" "$?" 0
gap=$(audit 'ms([x for x in a if x["action"] == "rolled_back"][-1]["time"]) - ms([x for x in a if x["action"] == "rollback"][-1]["time"])')
ok "the rollback was not delayed (rollback to rolled back: ${gap} ms)" \
	test "$gap" -lt 2000
is "what the hung target still held at exit is given up, audited" \
	"$(audit 'sorted(set(x["reason"].split(":")[0] for x in a if x["action"] == "notify_failed" and "hung" in x["reason"]))')" \
	"['notify hung (rollback)', 'notify hung (rolled_back)']"
like "... saying why" \
	"$(audit '[x["reason"] for x in a if x["action"] == "notify_failed" and "hung" in x["reason"]][-1]')" \
	"not sent before cutover exited"

# The guard tells when it starts and when it is stopped; at stage 0 it
# watches the preflight, and a check that starts failing is told too
# (weights found at 10/90 are not the 0/100 of a cutover not begun).
plan_with "$T/guarded.yaml" ""
printf 'istio=10 apisix=90\n' >"$T/weights"
guard_start $CUTOVER -c "$T/guarded.yaml" >"$T/gs.out"
ok "a guard starts" test -n "$GUARD_PID"
pf_told() {
	[ "$(seen /hook/ 'len([q for q in r if q["body"]["event"] == "preflight_failing"])')" -ge 1 ]
}
wait_for 40 pf_told
like "a failing preflight check is told, naming it" \
	"$(seen /hook/ '[q["body"]["text"] for q in r if q["body"]["event"] == "preflight_failing"]')" \
	"preflight failing.*weights fails"
printf 'istio=0 apisix=100\n' >"$T/weights"
$CUTOVER -c "$T/guarded.yaml" guard --stop --yes >"$T/out" 2>&1
gone() { ! kill -0 "$GUARD_PID" 2>/dev/null; }
wait_for 20 gone
is "the webhook heard the guard start and stop" \
	"$(seen /hook/ '[q["body"]["event"] for q in r if q["body"]["event"].startswith("guard")]')" \
	"['guard_started', 'guard_stopped']"

# Secrets: nowhere but the request itself.
unlike "the Slack URL is in no audit line" "$(cat "$T/state/notify.audit.jsonl")" "slack-s3cret"
unlike "the Grafana token is in no audit line" "$(cat "$T/state/notify.audit.jsonl")" "$GTOKEN"
unlike "... nor in any output" "$(cat "$T"/out "$T"/err "$T"/check.out)" "slack-s3cret|$GTOKEN"

cat >"$T/bad.yaml" <<PLAN
name: bad
pods: []
notify:
  - type: slack
    url: https://hooks.slack.com/services/T0/B0/x
PLAN
$CUTOVER -c "$T/bad.yaml" check >"$T/out" 2>"$T/err"
is "a Slack url: in the plan is refused" "$?" 65
like "... at its line, saying why" "$(cat "$T/err")" \
	"bad.yaml:5:[0-9]+: .*credential.*url_file"
