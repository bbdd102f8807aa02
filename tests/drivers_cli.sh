#!/bin/sh
# drivers_cli — the route53 and cloudflare traffic drivers through the real
# binary, each against its test server (tests/route53d.py, which checks
# every SigV4 signature with botocore, and tests/cloudflared.py): advances
# and a rollback change the server's weights exactly as the plan says,
# `status --json` shows the read-back weights, and a failing driver ends
# with exit 2, phase error and nothing applied twice (the servers count
# the changes they accepted).
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
"$PYTHON3" -c 'import botocore.auth' 2>/dev/null ||
	skip_all "python3 with botocore is needed for route53d.py"
plan 38

json() { # json FILE EXPR: print a Python expression over the parsed JSON
	"$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# http PORT PATH [JSON]: GET, or POST the JSON; prints the answer.
http() {
	"$PYTHON3" - "$@" <<'PY'
import sys, urllib.request
url = "http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2])
data = sys.argv[3].encode() if len(sys.argv) > 3 else None
print(urllib.request.urlopen(url, data=data, timeout=10).read().decode())
PY
}
# server SCRIPT NAME ARGS...: start a test server, set $PORT.
server() {
	script=$1 name=$2
	shift 2
	"$PYTHON3" "$top_srcdir/tests/$script" --port 0 "$@" >"$T/$name.out" 2>"$T/$name.err" &
	track $!
	wait_for 15 grep -q ready "$T/$name.out" || {
		echo "Bail out! $script did not start: $(cat "$T/$name.err")"
		exit 1
	}
	PORT=$(sed -n 's/^ready //p' "$T/$name.out")
}
# weights PORT EXPR: a Python expression over the server's /_state as d
weights() {
	http "$1" /_state >"$T/state.json"
	json "$T/state.json" "$2"
}

# --- route53 -----------------------------------------------------------------
server route53d.py r53 --secret "r53-secret/key" --pending 1
R53=$PORT
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY="r53-secret/key"
cat >"$T/r53.yaml" <<EOF
name: r53-test
state_file: $T/state/r53.state.json
audit_log: $T/state/r53.audit.jsonl
traffic:
  driver: route53
  route53:
    hosted_zone_id: Z0TEST
    record_name: www.example.com
    istio_set_identifier: istio
    apisix_set_identifier: apisix
    endpoint: http://127.0.0.1:$R53
    timeout: 5s
    insync_timeout: 4s
pods: []
EOF
C="$CUTOVER -c $T/r53.yaml"
R53W='[(r["id"], r["weight"]) for r in sorted(d["records"], key=lambda r: r["id"])], d["changes"]'

ok "route53: check accepts the plan" $C check
$C advance --yes >"$T/out" 2>"$T/err"
is "route53: advance to stage 1" "$?" 0
is "route53: server has istio 10 / apisix 90 in one change" \
	"$(weights $R53 "$R53W")" "([('apisix', 90), ('istio', 10)], 1)"
$C advance --yes --force >"$T/out" 2>"$T/err"
is "route53: forced advance to stage 2" "$?" 0
is "route53: server has 25/75" "$(weights $R53 "$R53W")" \
	"([('apisix', 75), ('istio', 25)], 2)"
$C status --json >"$T/status.json" 2>"$T/err"
is "route53: status --json exits 0" "$?" 0
is "route53: status shows the read-back weights" \
	"$(json "$T/status.json" 'd["read_back"]["istio"], d["read_back"]["apisix"], d["state"]["phase"]')" \
	"(25, 75, 'holding')"
like "route53: status names the driver" "$(json "$T/status.json" 'd["driver"]')" \
	"route53: www.example.com A in zone Z0TEST"
$C rollback --yes >"$T/out" 2>"$T/err"
is "route53: rollback" "$?" 0
is "route53: server has 0/100" "$(weights $R53 "$R53W")" \
	"([('apisix', 100), ('istio', 0)], 3)"
is "route53: no signature or schema problems on the server" \
	"$(weights $R53 'len(d["problems"])')" 0

# Bad credentials: exit 2, phase error, nothing changed.
http $R53 /_control '{"fail": "badkey"}' >/dev/null
$C advance --yes --force >"$T/out" 2>"$T/err"
is "route53: bad credentials exit 2" "$?" 2
like "route53: the error is Route53's own" "$(cat "$T/err")" \
	"InvalidClientTokenId: The security token included in the request is invalid"
is "route53: phase error" \
	"$(json "$T/state/r53.state.json" 'd["state"]["phase"]')" "error"
is "route53: nothing applied" "$(weights $R53 'd["changes"]')" 3

# A change stuck PENDING: applied once, then the retry finds it in force.
http $R53 /_control '{"fail": "stuck"}' >/dev/null
$C retry --yes >"$T/out" 2>"$T/err"
is "route53: change stuck PENDING exits 2" "$?" 2
like "route53: insync timeout reported" "$(cat "$T/err")" "still PENDING after [0-9]+ s"
is "route53: the change was sent once" "$(weights $R53 'd["changes"]')" 4
http $R53 /_control '{"fail": ""}' >/dev/null
$C retry --yes >"$T/out" 2>"$T/err"
is "route53: retry succeeds" "$?" 0
is "route53: nothing applied twice" "$(weights $R53 "$R53W")" \
	"([('apisix', 90), ('istio', 10)], 4)"
if grep -q "r53-secret" "$T/out" "$T/err" "$T/state/r53.audit.jsonl" "$T/state/r53.state.json"; then
	fail "route53: the secret key is never printed or stored"
else
	pass "route53: the secret key is never printed or stored"
fi

# --- cloudflare (one pool) ------------------------------------------------------
server cloudflared.py cf --token "cf-secret-token"
CF=$PORT
printf 'cf-secret-token\n' >"$T/cf.token"
cat >"$T/cf.yaml" <<EOF
name: cf-test
state_file: $T/state/cf.state.json
audit_log: $T/state/cf.audit.jsonl
traffic:
  driver: cloudflare
  cloudflare:
    account_id: acc1
    pool_id: pool1
    istio_origin: istio
    apisix_origin: apisix
    token_file: $T/cf.token
    endpoint: http://127.0.0.1:$CF/client/v4
    timeout: 5s
pods: []
EOF
C="$CUTOVER -c $T/cf.yaml"
CFW='[(o["name"], o["weight"]) for o in d["pool"]["origins"]], d["changes"]'

ok "cloudflare: check accepts the plan" $C check
$C advance --yes >"$T/out" 2>"$T/err"
is "cloudflare: advance to stage 1" "$?" 0
is "cloudflare: origins 0.9 / 0.1, the spare untouched" "$(weights $CF "$CFW")" \
	"([('apisix', 0.9), ('istio', 0.1), ('spare', 0.5)], 1)"
$C advance --yes --force >/dev/null 2>&1
$C advance --yes --force >"$T/out" 2>"$T/err"
is "cloudflare: forced advance to stage 3" "$?" 0
is "cloudflare: origins 0.5 / 0.5" "$(weights $CF "$CFW")" \
	"([('apisix', 0.5), ('istio', 0.5), ('spare', 0.5)], 3)"
$C status --json >"$T/status.json" 2>"$T/err"
is "cloudflare: status shows the read-back weights" \
	"$(json "$T/status.json" 'd["read_back"]["istio"], d["read_back"]["apisix"]')" "(50, 50)"
$C rollback --yes >"$T/out" 2>"$T/err"
is "cloudflare: rollback" "$?" 0
is "cloudflare: origins 1 / 0" "$(weights $CF "$CFW")" \
	"([('apisix', 1.0), ('istio', 0.0), ('spare', 0.5)], 4)"

printf 'revoked-token\n' >"$T/cf.token"
$C advance --yes --force >"$T/out" 2>"$T/err"
is "cloudflare: a refused token exits 2" "$?" 2
like "cloudflare: the error envelope is shown" "$(cat "$T/err")" \
	"code 10000: Authentication error"
is "cloudflare: phase error" \
	"$(json "$T/state/cf.state.json" 'd["state"]["phase"]')" "error"
is "cloudflare: nothing applied" "$(weights $CF 'd["changes"]')" 4
if grep -q "cf-secret-token\|revoked-token" "$T/out" "$T/err" "$T/state/cf.audit.jsonl"; then
	fail "cloudflare: the token is never printed"
else
	pass "cloudflare: the token is never printed"
fi

# --- cloudflare (load balancer, two pools) -----------------------------------------
cat >"$T/lb.yaml" <<EOF
name: lb-test
state_file: $T/state/lb.state.json
audit_log: $T/state/lb.audit.jsonl
traffic:
  driver: cloudflare
  cloudflare:
    zone_id: zone1
    load_balancer_id: lb1
    istio_pool: pool-istio
    apisix_pool: pool-apisix
    endpoint: http://127.0.0.1:$CF/client/v4
pods: []
EOF
export CLOUDFLARE_API_TOKEN=cf-secret-token
C="$CUTOVER -c $T/lb.yaml"
LBW='sorted(d["lb"]["random_steering"]["pool_weights"].items())'
$C advance --yes >"$T/out" 2>"$T/err"
is "load balancer: advance to stage 1" "$?" 0
is "load balancer: pool weights 0.1 / 0.9, the other pool untouched" \
	"$(weights $CF "$LBW")" \
	"[('pool-apisix', 0.9), ('pool-istio', 0.1), ('pool-other', 0.3)]"
$C rollback --yes >"$T/out" 2>"$T/err"
is "load balancer: rollback" "$?" 0
is "load balancer: pool weights 0 / 1" "$(weights $CF "$LBW")" \
	"[('pool-apisix', 1.0), ('pool-istio', 0.0), ('pool-other', 0.3)]"
