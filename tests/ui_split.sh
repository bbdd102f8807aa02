#!/bin/sh
# ui_split — `status --json` and the dashboard say the same about the
# measured split: split_mismatch is true exactly when the split pane says
# "differs from applied!", and both say no within the settle time and
# once the measured split follows the applied weights again.
#
# Prometheus is tests/promd.py (each query is named by its plan key, its
# value set by the test), the traffic driver two scripts.  Stage 1 (10 %)
# is applied and paused from the command line: the hold does not run, so
# only the time since the weights were applied settles the split, for
# the dashboard and for `status` alike.  Waits are bounded polls.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 16

SETTLE=25

"$PYTHON3" "$top_srcdir/tests/promd.py" >"$T/promd.out" 2>"$T/promd.err" &
track $!
wait_for 10 grep -q '^ready' "$T/promd.out" || skip_all "tests/promd.py did not start"
pport=$(awk '/^ready/{print $2}' "$T/promd.out")

# rates ISTIO APISIX: the request rates measured at each gateway.
rates() {
	curl -sf -X POST "http://127.0.0.1:$pport/_control" -d "{\"values\": {
	  \"istio_request_rate\": $1, \"apisix_request_rate\": $2,
	  \"istio_error_rate\": 0.001, \"apisix_error_rate\": 0.001,
	  \"istio_p95_ms\": 100, \"apisix_p95_ms\": 100,
	  \"istio_availability\": 0.9999, \"mtls_coverage\": 1,
	  \"istio_p50_ms\": 40, \"istio_p99_ms\": 200, \"apisix_p50_ms\": 40,
	  \"apisix_p99_ms\": 200, \"istio_connections\": 5,
	  \"apisix_connections\": 50}}" >/dev/null
}
# Istio 50 % of what is measured, 10 % applied.
rates 50 50 || skip_all "cannot set promd.py's values"

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
	echo "name: split"
	echo "refresh: 1s"
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
	echo "gates:"
	echo "  settle: ${SETTLE}s"
	echo "traffic:"
	echo "  driver: exec"
	echo "  exec:"
	echo "    set: [\"$T/set.sh\", \"{istio}\", \"{apisix}\"]"
	echo "    get: [\"$T/get.sh\"]"
} >"$T/plan.yaml"
C="$CUTOVER -c $T/plan.yaml"

if $C check >"$T/check.out" 2>&1; then
	pass "the plan is valid"
else
	fail "the plan is valid" "$(cat "$T/check.out")"
fi

applied=$(date +%s)
$C advance --yes --force --reason "split test" >"$T/adv.out" 2>&1
is "stage 1 is applied" "$?" 0
$C pause --reason "split test" >"$T/pause.out" 2>&1
is "stage 1 is paused (the hold does not run)" "$?" 0

# status_field KEY: the value of KEY in a fresh `status --json`.
status_field() {
	$C status --json >"$T/status.json" 2>"$T/status.err"
	"$PYTHON3" -c 'import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
print("null" if v is None else str(v).lower())' "$T/status.json" "$1"
}

tmux_start 100 30 "$C; echo EXIT=\$? >$T/exit"
if tmux_wait 20 'stage 1/5'; then
	pass "the dashboard shows stage 1"
else
	fail "the dashboard shows stage 1" "$(tmux_diag)"
fi

# Within the settle time: measured 50 % beside applied 10 %, not flagged.
if tmux_wait 10 '^measured .*50\.0%'; then
	pass "the dashboard measures 50 % on Istio"
else
	fail "the dashboard measures 50 % on Istio" "$(tmux_diag)"
fi
unlike "within the settle time the dashboard does not flag the split" \
	"$TMUX_SCREEN" 'differs from applied'
mismatch=$(status_field split_mismatch)
measured=$(status_field measured_istio_percent)
within=$(($(date +%s) - applied))
if [ "$within" -lt "$SETTLE" ]; then
	is "within the settle time status --json says split_mismatch false (${within}s)" \
		"$mismatch" false
else
	fail "the checks within the settle time ran within it" \
		"took ${within}s of ${SETTLE}s"
fi
like "status --json measures 50 % too" "$measured" '^50(\.0+)?$'
tmux_screen >/dev/null
unlike "and the dashboard still does not" "$TMUX_SCREEN" 'differs from applied'

# Past the settle time both flag it.
if tmux_wait $((SETTLE + 20)) 'differs from applied!'; then
	pass "past the settle time the dashboard says the split differs"
else
	fail "past the settle time the dashboard says the split differs" \
		"$(tmux_diag)"
fi
is "status --json says split_mismatch true with it" \
	"$(status_field split_mismatch)" true
tmux_screen >/dev/null
like "and the dashboard still says so" "$TMUX_SCREEN" 'differs from applied!'

# The measured split follows the applied one again: neither flags it.
rates 10 90
if tmux_wait_gone 20 'differs from applied'; then
	pass "the dashboard stops flagging once measured follows applied"
else
	fail "the dashboard stops flagging once measured follows applied" \
		"$(tmux_diag)"
fi
is "status --json says split_mismatch false with it" \
	"$(status_field split_mismatch)" false
like "the dashboard measures 10 %" "$TMUX_SCREEN" '^measured .*10\.0%'

tmux_keys q
if wait_file 10 "$T/exit" 'EXIT=0'; then
	pass "the dashboard quits cleanly"
else
	fail "the dashboard quits cleanly" "$(cat "$T/exit" 2>/dev/null)"
fi
