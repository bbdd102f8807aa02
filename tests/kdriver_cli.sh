#!/bin/sh
# kdriver_cli — the kubernetes traffic driver through the real binary
# against tests/kubeapi.py (route fixtures of tests/fixtures/kube/routes,
# bearer token required).  advance and rollback change the server's
# VirtualService exactly as the plan says (the server's object is read,
# not cutover's word); status --json shows the read-back; weights in force
# are not patched again; a revert by "someone else" between commands is
# shown and audited as reconcile_mismatch by the next command; a 403 and a
# write race that moved the weights end with exit 2 and phase error, the
# server having seen exactly one PATCH for each (nothing applied twice);
# with the real API server's 422 for a failed test, an edit that only
# touched an annotation is patched again and the advance succeeds; the
# token is in no output, state or audit line.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
# The driver in the one process that acts (a guard is its own test).
CUTOVER="$CUTOVER --no-guard"
"$PYTHON3" -c 'import json' 2>/dev/null || skip_all "python3 not found"
plan 35
. "$top_srcdir/tests/kubeapi.sh"

TOKEN="kdriver-s3cret-$$"
kroute_setup kube-test "$TOKEN"

$C check >"$T/out" 2>"$T/err"
is "check accepts the plan (the driver initialises)" "$?" 0
is "server starts at istio 0 / apisix 100" "$(weights)" "0 100"

$C advance --yes >"$T/out" 2>"$T/err"
is "advance to stage 1" "$?" 0
is "server: istio 10 / apisix 90" "$(weights)" "10 90"
is "one PATCH" "$(patches)" 1

$C status --json >"$T/status.json" 2>"$T/err"
is "status --json exits 0" "$?" 0
is "status: read back 10/90, holding" \
	"$(json "$T/status.json" 'd["read_back"]["istio"], d["read_back"]["apisix"], d["state"]["phase"]')" \
	"(10, 90, 'holding')"
is "status names the driver" "$(json "$T/status.json" 'd["driver"]')" \
	"kubernetes: VirtualService edge/storefront"

$C advance --yes --force --reason "test stage 2" >"$T/out" 2>"$T/err"
is "forced advance to stage 2" "$?" 0
is "server: istio 25 / apisix 75" "$(weights)" "25 75"

$C rollback --yes >"$T/out" 2>"$T/err"
is "rollback" "$?" 0
like "rolled back" "$(cat "$T/out")" "phase: rolled_back"
is "server: istio 0 / apisix 100" "$(weights)" "0 100"
is "three PATCHes so far" "$(patches)" 3

$C advance --yes --force >"$T/out" 2>"$T/err"
is "advance again after the rollback" "$?" 0
is "server: istio 10 / apisix 90 again" "$(weights)" "10 90"

# Someone else (a GitOps revert) puts everything back on APISIX.
ctl POST "/_test/weights?$Q&set=$ISTIO:0&set=$APISIX:100" >/dev/null
$C reconcile >"$T/out" 2>"$T/err"
is "reconcile exits 0" "$?" 0
like "the next command shows what is in force" "$(cat "$T/out")" \
	"istio 0% / apisix 100% \(read back\)"
like "and adopts it (stage 0, rolled back)" "$(tr '\n' ' ' <"$T/out")" \
	"stage: +0/5 +phase: rolled_back .*istio 0% / apisix 100% \(applied\)"
is "audit: reconcile_mismatch, found 0/100" \
	"$("$PYTHON3" -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["action"] == "reconcile_mismatch":
        print(d["from"]["istio"], d["to"]["istio"], d["result"])' "$T/state/kube.audit.jsonl")" \
	"10 0 warning"
is "reconciling sent no PATCH" "$(patches)" 4

# Rolling back to what is already in force sends nothing.
$C rollback --yes >"$T/out" 2>"$T/err"
is "rollback onto the reverted weights" "$?" 0
is "weights in force are not patched again" "$(patches)" 4

# A failing case: the service account may not patch.
ctl POST "/_test/forbid?verb=patch&user=system:serviceaccount:ops:cutover" >/dev/null
$C advance --yes --force >"$T/out" 2>"$T/err"
is "a forbidden PATCH exits 2" "$?" 2
like "the API server's message is reported" "$(cat "$T/err")" \
	'cannot patch resource "virtualservices"'
is "state: error, weights uncertain" \
	"$(json "$T/state/kube.state.json" 'd["state"]["phase"], d["state"]["uncertain"]')" \
	"('error', True)"
is "exactly one more PATCH, nothing applied" "$(patches) $(weights)" "5 0 100"

# Allowed again, but a revert races the retry's PATCH: drift, not overwritten.
ctl POST "/_test/forbid?verb=" >/dev/null
ctl POST "/_test/race?$Q&set=$ISTIO:50&set=$APISIX:50" >/dev/null
$C retry --yes >"$T/out" 2>"$T/err"
is "a write race that moved the weights exits 2" "$?" 2
like "it says who changed them" "$(cat "$T/err")" \
	"weights were changed by someone else: found 50/50"
is "one PATCH tried (409), the revert stands" "$(patches) $(weights)" "6 50 50"

# A fresh session against the API server's real answer to a failed test
# (422, "the server rejected our request"): an annotation changes between
# the read and the patch; cutover reads again, sees the same weights and
# patches again.
sed -e 's/kube\.state\.json/kube2.state.json/' \
	-e 's/kube\.audit\.jsonl/kube2.audit.jsonl/' \
	"$T/cutover.yaml" >"$T/cutover2.yaml"
ctl POST "/_test/weights?$Q&set=$ISTIO:0&set=$APISIX:100" >/dev/null
ctl POST "/_test/testfail?code=422" >/dev/null
ctl POST "/_test/race?$Q" >/dev/null
$CUTOVER -c "$T/cutover2.yaml" advance --yes >"$T/out2" 2>"$T/err2"
is "an unrelated edit racing the patch (422): advance exits 0" "$?" 0
is "server: istio 10 / apisix 90" "$(weights)" "10 90"
is "two PATCHes: refused once, then applied" "$(patches)" 8

# Secrets stay out of everything cutover wrote or printed.
cat "$T"/out "$T"/err "$T"/out2 "$T"/err2 "$T"/status.json "$T"/state/* \
	>"$T/everything" 2>/dev/null
unlike "the token is in no output, state or audit line" \
	"$(cat "$T/everything")" "$TOKEN"
