#!/bin/sh
# kdrift_cli — weights changed outside cutover between two commands (a
# GitOps revert, another operator) are drift, with the kubernetes driver
# against tests/kubeapi.py: the next advance is refused, names the weights
# in force and sends no PATCH (the outside change stands); `reconcile`
# adopts the stage in force, after which an advance goes on from there;
# --force takes the operator's word.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
"$PYTHON3" -c 'import json' 2>/dev/null || skip_all "python3 not found"
plan 15
. "$top_srcdir/tests/kubeapi.sh"

TOKEN="kdrift-s3cret-$$"
kroute_setup kube-drift "$TOKEN"

# Nothing applied yet (stage 0), and someone else moves 25% to Istio.
ctl POST "/_test/weights?$Q&set=$ISTIO:25&set=$APISIX:75" >/dev/null
$C advance --yes >"$T/out" 2>"$T/err"
is "advance on drift is refused" "$?" 1
like "it says what is in force" "$(cat "$T/err")" \
	"istio 25% / apisix 75%, read back\) are not the state file's \(istio 0%, stage 0\)"
like "and how to get out" "$(cat "$T/err")" "run .cutover reconcile. to adopt them, or advance with --force"
is "no PATCH: the outside change stands" "$(patches) $(weights)" "0 25 75"
is "audit: the refusal" "$(count_audit advance refused)" 1

$C status --json >"$T/status.json" 2>"$T/err"
is "status --json shows the drift" "$(json "$T/status.json" 'd["drift"], d["read_back"]["istio"]')" "(True, 25)"

$C reconcile >"$T/out" 2>"$T/err"
is "reconcile adopts the weights in force" "$?" 0
is "state: stage 2 at 25%, holding" \
	"$(json "$T/state/kube.state.json" 'd["state"]["stage"], d["state"]["applied"]["istio"], d["state"]["phase"]')" \
	"(2, 25, 'holding')"
is "audit: reconcile ok" "$(count_audit reconcile ok)" 1
is "still no PATCH" "$(patches)" 0

$C advance --yes --force >"$T/out" 2>"$T/err"
is "the next advance goes on from stage 2" "$?" 0
is "server: 50/50, one PATCH" "$(patches) $(weights)" "1 50 50"

# Drift again; --force is the operator's decision.
ctl POST "/_test/weights?$Q&set=$ISTIO:10&set=$APISIX:90" >/dev/null
$C advance --yes --force >"$T/out" 2>"$T/err"
is "a forced advance on drift goes" "$?" 0
is "server: 75/25" "$(patches) $(weights)" "2 75 25"
