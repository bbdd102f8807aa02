#!/bin/sh
# guard_claims — what a guard audits of a client: the user, uid and pid
# from the socket, and the tty and ssh client the client claims under
# actor.claimed, cleaned; `cutover log` says "(claimed)".  An action of a
# process of its own keeps its tty and ssh client beside its user.
. "$top_srcdir/tests/lib.sh"
plan 10

cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
cat >"$T/cutover.yaml" <<EOF2
name: claims
state_file: $T/state/c.state.json
audit_log: $T/state/c.audit.jsonl
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}", "{stage}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods: []
guard:
  grace: 60s
EOF2
export T_DIR="$T"
C="$CUTOVER -c $T/cutover.yaml"
AUDIT="$T/state/c.audit.jsonl"

# actor ACTION: the actor of the last line of ACTION, as "key=value" lines
# (claimed ones as claimed.key=value).
actor() {
	"$PYTHON3" - "$AUDIT" "$1" <<'PY'
import json, sys
a = None
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["action"] == sys.argv[2]:
        a = d["actor"]
for k in sorted(a or {}):
    if k == "claimed":
        for c in sorted(a[k]):
            print("claimed.%s=%s" % (c, a[k][c]))
    elif k != "pid":
        print("%s=%s" % (k, a[k]))
PY
}

guard_start $C >"$T/gs.out"
SSH_CONNECTION="203.0.113.9 50022 192.0.2.1 22" \
	$C advance --yes --force --reason "first step" >"$T/adv.out" 2>&1
is "the advance went through the guard" "$?" 0
got=$(actor advance)
like "the uid is the socket's" "$got" "uid=$(id -u)"
# The guard reads the weights back before an advance: the line written
# after that is still the client's, not the guard's own.
pid=$("$PYTHON3" -c 'import json, sys
print([json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["action"] == "advance"][-1]["actor"]["pid"])' "$AUDIT")
ok "the advance is audited as the client's, not the guard's" \
	test "$pid" != "$GUARD_PID"
like "the ssh client is marked as claimed" "$got" \
	"claimed.ssh_client=203.0.113.9"
unlike "... and is not beside what is proven" "$got" "^ssh_client="
like "the tty too" "$got" "claimed.tty="
$C log >"$T/log.out" 2>&1
like "cutover log says the address is claimed" "$(cat "$T/log.out")" \
	"from 203.0.113.9 \(claimed\)"

# A hostile claim is cleaned before it is written.
SSH_CONNECTION=$(printf '\033]0;x\007 1 2 3') \
	$C pause --reason "hostile" >"$T/pause.out" 2>&1
is "a claim with escapes is cleaned" \
	"$(actor pause | grep claimed.ssh_client)" "claimed.ssh_client=??0?x?"

# A process of its own: its ssh client is its own, not a claim.
$C guard --stop --yes >"$T/out" 2>&1
wait_for 10 sh -c "! kill -0 $GUARD_PID 2>/dev/null"
SSH_CONNECTION="198.51.100.2 50022 192.0.2.1 22" \
	$C --no-guard rollback --yes >"$T/rb.out" 2>&1
got=$(actor rollback)
like "without a guard the ssh client is the process's own" "$got" \
	"^ssh_client=198.51.100.2"
unlike "... not marked as claimed" "$got" "claimed"
