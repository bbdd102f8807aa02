#!/bin/sh
# probes_cli — the probes through the real binary against tests/probed.py
# (a gateway that answers 421 unless the Host header is the real name, and
# 401 unless the token and the body are the files'): status and
# status --json show each probe, a failing probe fails the gate and an
# advance is refused and audited, and the secrets of header_files and
# body_file, and an inline header's value, are never in check's, status's
# or the audit log's text.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
plan 22

TOKEN=s3cr3t-cli-probe-token
PASSWORD=hunter2-cli-probe
INLINE=inline-cli-secret
printf '%s\n' "$TOKEN" >"$T/token"
printf 'Bearer %s\n' "$TOKEN" >"$T/auth"
printf '{"user":"probe","password":"%s"}' "$PASSWORD" >"$T/body.json"

"$PYTHON3" "$top_srcdir/tests/probed.py" --port 0 --host shop.example.com \
	--token-file "$T/token" --body-file "$T/body.json" \
	>"$T/server.out" 2>"$T/server.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/server.out"
PORT=$(awk '/^ready /{print $2}' "$T/server.out")
[ -n "$PORT" ] || { fail "probed.py starts" "$(cat "$T/server.err")"; exit 1; }

cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<PLAN
name: probes-test
state_file: $T/state/p.state.json
audit_log: $T/state/p.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
pods: []
probes:
  istio_address: 127.0.0.1:$PORT
  failures: 1
  checks:
    - name: login
      url: http://shop.example.com/api/v1/auth/login
      method: POST
      headers: { Content-Type: application/json, X-Api-Key: $INLINE }
      header_files: { Authorization: $T/auth }
      body_file: $T/body.json
    - name: down
      url: http://shop.example.com/status?code=503
      header_files: { Authorization: $T/auth }
PLAN
export T_DIR="$T"
# One process acts (--no-guard): an advance refreshes first, so its audit
# line has the probe gate judged at stage 1.
C="$CUTOVER --no-guard -c $T/cutover.yaml"
secrets="$TOKEN|$PASSWORD|$INLINE"

$C check >"$T/check.out" 2>&1
is "check accepts the plan" "$?" 0
like "check names the files" "$(cat "$T/check.out")" \
	"probes.checks.1.header_files.Authorization: $T/auth"
unlike "check shows no secret" "$(cat "$T/check.out")" "$secrets"

$C status >"$T/status.out" 2>&1
like "status: the login probe passed (Host, token and body right)" \
	"$(cat "$T/status.out")" 'probe login +istio +ok +100% ok [0-9]+ ms'
like "status: the failing probe says why" "$(cat "$T/status.out")" \
	'probe down +istio +FAIL 0% ok [0-9]+ ms \(1 in a row\): HTTP 503, expected 200'
unlike "status shows no secret" "$(cat "$T/status.out")" "$secrets"

$C status --json >"$T/status.json" 2>&1
is "status --json answers" "$?" 0
is "status --json: the probes' verdict" "$("$PYTHON3" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["probes"]
print(p["verdict"], p["istio_address"], p["checks"][0]["istio"]["status"],
      p["checks"][1]["istio"]["failures_in_a_row"])' "$T/status.json")" \
	"fail 127.0.0.1:$PORT 200 1"
like "status --json: the board" "$(cat "$T/status.json")" '"istio_p99_ms"'
unlike "status --json shows no secret" "$(cat "$T/status.json")" "$secrets"

$C preflight >"$T/pf.out" 2>&1
is "preflight: a failing probe through Istio fails it (exit 4)" "$?" 4
like "... naming the probe and why" "$(cat "$T/pf.out")" \
	'down failed 1 in a row: HTTP 503, expected 200'
unlike "preflight shows no secret" "$(cat "$T/pf.out")" "$secrets"
$C advance --yes >"$T/out" 2>"$T/err"
is "so the first shift is refused" "$?" 1
$C advance --yes --force >"$T/out" 2>"$T/err"
is "stage 0 -> 1, forced past the preflight" "$?" 0
$C advance --yes >"$T/out" 2>"$T/err"
is "advance with a failing probe is refused" "$?" 1
unlike "the refusal shows no secret" "$(cat "$T/out" "$T/err")" "$secrets"
like "at stage 1 the failing probe fails the gates" "$($C status 2>&1)" \
	'gates: +fail: probes down failed 1 in a row: HTTP 503, expected 200'

like "the audit log has the probe gate" "$(cat "$T/state/p.audit.jsonl")" \
	'"probes": ?\{[^}]*"verdict": ?"fail"'
unlike "the audit log has no secret" "$(cat "$T/state/p.audit.jsonl")" "$secrets"

# Without an address the probes read the gateway Service: cutover rbac
# allows that one request.
sed '/istio_address:/d' "$T/cutover.yaml" >"$T/discover.yaml"
$CUTOVER -c "$T/discover.yaml" rbac >"$T/rbac.out" 2>&1
like "rbac: get on the gateway Service" "$(tr '\n' ' ' <"$T/rbac.out")" \
	'namespace: "istio-system" rules: # probes: .* - apiGroups: \[""\] +resources: \["services"\] +resourceNames: \["istio-ingressgateway"\] +verbs: \["get"\]'
$CUTOVER -c "$T/cutover.yaml" rbac >"$T/rbac2.out" 2>&1
unlike "rbac: no Service rule with a configured address" \
	"$(cat "$T/rbac2.out")" 'services'
