#!/bin/sh
# ui_verify — a rollback that is not verified is an alarm: Istio keeps its
# traffic past rollback.verify_timeout (5 s here), so line 2 of the
# dashboard turns into the red "ROLLBACK NOT VERIFIED" banner and the
# terminal bell rings; `a` acknowledges it: the banner goes and the audit
# log has the acknowledgement.
#
# Prometheus is tests/promd.py (each query named by its plan key), the
# traffic driver two scripts.  The bell is counted by a tmux hook
# (alert-bell) that appends a line to a file.  Waits are bounded polls.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 12

"$PYTHON3" "$top_srcdir/tests/promd.py" >"$T/promd.out" 2>"$T/promd.err" &
track $!
wait_for 10 grep -q '^ready' "$T/promd.out" || skip_all "tests/promd.py did not start"
pport=$(awk '/^ready/{print $2}' "$T/promd.out")
# Healthy, and Istio's gateway keeps 50 req/s whatever the weights say.
curl -sf -X POST "http://127.0.0.1:$pport/_control" -d '{"values": {
  "istio_request_rate": 50, "apisix_request_rate": 450,
  "istio_error_rate": 0.001, "apisix_error_rate": 0.001,
  "istio_p95_ms": 100, "apisix_p95_ms": 100,
  "istio_availability": 0.9999, "mtls_coverage": 1,
  "istio_p50_ms": 40, "istio_p99_ms": 200, "apisix_p50_ms": 40,
  "apisix_p99_ms": 200, "istio_connections": 5,
  "apisix_connections": 50}}' >/dev/null ||
	skip_all "cannot set promd.py's values"

cat >"$T/set.sh" <<EOF
#!/bin/sh
echo "istio=\$1 apisix=\$2" >"$T/weights"
EOF
cat >"$T/get.sh" <<EOF
#!/bin/sh
if [ -f "$T/weights" ]; then cat "$T/weights"; else echo "istio=0 apisix=100"; fi
EOF
chmod +x "$T/set.sh" "$T/get.sh"

{
	echo "name: verify"
	echo "refresh: 1s"
	echo "audit_log: $T/audit.jsonl"
	echo "prometheus:"
	echo "  url: \"http://127.0.0.1:$pport/\""
	echo "  timeout: 5s"
	echo "queries:"
	for q in istio_error_rate istio_p95_ms istio_request_rate \
		istio_availability mtls_coverage apisix_error_rate \
		apisix_p95_ms apisix_request_rate istio_p50_ms istio_p99_ms \
		apisix_p50_ms apisix_p99_ms istio_connections \
		apisix_connections; do
		echo "  $q: $q"
	done
	echo "rollback:"
	echo "  verify_timeout: 5s"
	echo "traffic:"
	echo "  driver: exec"
	echo "  exec:"
	echo "    set: [\"$T/set.sh\", \"{istio}\", \"{apisix}\"]"
	echo "    get: [\"$T/get.sh\"]"
} >"$T/plan.yaml"
C="$CUTOVER -c $T/plan.yaml"

$C advance --yes --force --reason "verify test" >"$T/adv.out" 2>&1
is "stage 1 is applied" "$?" 0

# bells: how many the pane has rung so far.
bells() {
	if [ -f "$T/bells" ]; then wc -l <"$T/bells" | tr -d ' '; else echo 0; fi
}

tmux_start 80 24 "$C; echo EXIT=\$? >$T/exit"
tx set-hook -g alert-bell "run-shell 'echo bell >>$T/bells'"
if tmux_wait 20 'stage 1/5 HOLDING'; then
	pass "the dashboard shows stage 1 holding"
else
	fail "the dashboard shows stage 1 holding" "$(tmux_diag)"
fi

tmux_keys r
tmux_wait 10 'Roll back\?' >/dev/null
tmux_yes "verify test"
if tmux_wait 20 'verifying rollback'; then
	pass "rolled back: the rollback is being verified"
else
	fail "rolled back: the rollback is being verified" "$(tmux_diag)"
fi
before=$(bells)

# Istio still has its 50 req/s past verify_timeout: the alarm.
if tmux_wait 30 'ROLLBACK NOT VERIFIED'; then
	pass "the rollback is not verified"
else
	fail "the rollback is not verified" "$(tmux_diag)"
fi
like "the banner is line 2" "$(printf '%s\n' "$TMUX_SCREEN" | sed -n 2p)" \
	'^ *ROLLBACK NOT VERIFIED: traffic still reaching Istio'
ESC=$(printf '\033')
line2=$(tmux_screen -e | sed -n 2p)
like "the banner is white on red" "$line2" \
	"$ESC\\[([0-9;]*;)?41(;[0-9;]*)?m.*ROLLBACK NOT VERIFIED"
if wait_for 10 test "$(bells)" -gt "$before"; then
	pass "the bell rings with it"
else
	fail "the bell rings with it" "bells before: $before, now: $(bells)"
fi
if wait_file 10 "$T/audit.jsonl" '"action":"rollback_unverified"'; then
	pass "the audit log has rollback_unverified"
else
	fail "the audit log has rollback_unverified" "$(cat "$T/audit.jsonl")"
fi

tmux_keys a
if tmux_wait_gone 10 'ROLLBACK NOT VERIFIED'; then
	pass "a acknowledges: the banner goes"
else
	fail "a acknowledges: the banner goes" "$(tmux_diag)"
fi
if wait_file 10 "$T/audit.jsonl" '"action":"alarm_acknowledged"'; then
	pass "the acknowledgement is audited"
else
	fail "the acknowledgement is audited" "$(cat "$T/audit.jsonl")"
fi
like "it says what was acknowledged" \
	"$(grep '"action":"alarm_acknowledged"' "$T/audit.jsonl")" \
	'"reason":"traffic still reaching Istio'

tmux_keys q
if wait_file 10 "$T/exit" 'EXIT=0'; then
	pass "the dashboard quits cleanly"
else
	fail "the dashboard quits cleanly" "$(cat "$T/exit" 2>/dev/null)"
fi
