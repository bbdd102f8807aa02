#!/bin/sh
# ui_board — the Grafana board's rows and the probes where the terminal has
# rows to spare: none at 80x24 (the screen is the one without probes),
# at 120x40 the latency distribution and connections of both gateways and
# one row per probe.  Then status --json carries both.  The demo, with a
# plan that has probes, in a private tmux server, through the demo's
# guard (its view carries the board).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 7

cat >"$T/probes.yaml" <<PLAN
name: board
probes:
  istio_address: 192.0.2.10
  apisix_address: 192.0.2.20
  checks:
    - name: login
      url: https://shop.example.com/api/v1/auth/login
      method: POST
    - name: ws
      kind: websocket
      url: https://shop.example.com/ws
PLAN

tmux_start 80 24 "$CUTOVER --demo --no-autopilot --demo-speed 600; echo EXIT=\$? >$T/exit"
tmux_wait 20 '^gates ' >/dev/null
tmux_screen >"$T/plain.txt"
tx kill-server >/dev/null 2>&1
tmux_start 80 24 "$CUTOVER -c $T/probes.yaml --demo --no-autopilot --demo-speed 600; echo EXIT=\$? >$T/exit"
tmux_wait 20 '^gates ' >/dev/null
tmux_screen >"$T/probes.txt"
# From the timeline to the log's title and the hints, row for row, the
# same panes (the header and the log's lines tell the time).
if [ "$(sed -n '6,18p;24p' "$T/plain.txt" | cut -c1-12)" = \
     "$(sed -n '6,18p;24p' "$T/probes.txt" | cut -c1-12)" ]; then
	pass "80x24: the same panes with probes as without"
else
	fail "80x24: the same panes with probes as without" \
		"$(diff "$T/plain.txt" "$T/probes.txt")"
fi
unlike "80x24: no board" "$(cat "$T/probes.txt")" 'P50|probes via'

tmux_resize 120 40
if tmux_wait 20 'probes via istio'; then
	pass "120x40: the board is shown"
else
	fail "120x40: the board is shown" "$(tmux_diag)"
fi
like "the latency distribution, both gateways" "$(tmux_screen)" \
	'latency +P50 +P95 +P99 +conns'
like "one row per probe, its ratio and latency" "$(tmux_screen)" \
	'^ apisix .* ws +100% +[0-9]+ ms'
tmux_keys q
tmux_wait 20 'EXIT=' >/dev/null 2>&1

out=$("$CUTOVER" -c "$T/probes.yaml" --demo status --json 2>&1)
like "status --json: the board" "$out" '"p99_ms"'
like "status --json: each probe through each gateway" "$out" \
	'"failures_in_a_row": 0'
