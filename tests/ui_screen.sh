#!/bin/sh
# ui_screen — the screen at 80x24 and 120x40 against a realistic cluster:
# an EKS context (its ARN) and five pod groups from the Kubernetes API
# test server, one of them failing.  The header keeps stage, phase, hold
# countdown and clock and shortens the context to its cluster's name;
# the pods pane puts the failing group first and counts the groups it
# hides; the help scrolls to its last line; a dialog covers only its own
# rectangle.  Every wait is on the screen's state.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
. "$top_srcdir/tests/kubeapi.sh"
tmux_require

plan 30

ARN="arn:aws:eks:eu-west-1:111222333444:cluster/ExampleCluster"
kubeapi_start --pods "$top_srcdir/tests/fixtures/kube/pods" --token tok-1
kubeapi_kubeconfig tok-1 "$ARN"
cat >"$T/set.sh" <<EOF
#!/bin/sh
printf 'istio=%s apisix=%s\n' "\$1" "\$2" >"$T/weights"
EOF
cat >"$T/get.sh" <<EOF
#!/bin/sh
cat "$T/weights" 2>/dev/null || echo "istio=0 apisix=100"
EOF
cat >"$T/plan.yaml" <<EOF
name: storefront-ingress-migration
host: shop.example.com
refresh: 1s
state_file: $T/state/screen.state.json
audit_log: $T/state/screen.audit.jsonl
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 3s
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
    timeout: 20s
pods:
  - name: istio-ingressgateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 2
    side: istio
  - name: api
    namespace: voiceassistant-prod
    selector: app=api
    min_ready: 3
    sidecar: required
  - name: legacy
    namespace: voiceassistant-prod
    selector: app=legacy
    min_ready: 1
  - name: worker
    namespace: voiceassistant-prod
    selector: app=worker
    min_ready: 1
  - name: istiod
    namespace: istio-system
    selector: app=istiod
    min_ready: 1
    side: istio
rollback:
  automatic: false
EOF

# --- 80x24 ---------------------------------------------------------------
tmux_start 80 24 "$CUTOVER -c $T/plan.yaml"
if tmux_wait 20 'stage 0/5 READY .*[0-9][0-9]:[0-9][0-9]Z +[0-9][0-9]:[0-9][0-9] local$'; then
	pass "80x24: stage, phase and clock on the first line"
else
	fail "80x24: stage, phase and clock on the first line" "$(tmux_diag)"
fi
line1=$(printf '%s\n' "$TMUX_SCREEN" | sed -n 1p)
like "80x24: the EKS context shows its cluster's name" "$line1" \
	'ctx ExampleCluster|ctx Example'
unlike "80x24: not the ARN" "$line1" 'arn:aws'
if tmux_wait 20 '^istiod +.*below minimum'; then
	pass "80x24: istiod (no pods) is failing"
else
	fail "80x24: istiod (no pods) is failing" "$(tmux_diag)"
fi
# The pods pane: a header and three rows at 80x24; the failing group first.
rows=$(printf '%s\n' "$TMUX_SCREEN" | grep -A2 '^group ' | sed -n '2,3p' |
	awk '{print $1}' | tr '\n' ' ')
is "80x24: the failing groups come first" "$rows" "api istiod "
like "80x24: the hidden groups are counted" "$TMUX_SCREEN" \
	'\+2 groups \(Tab, j/k\)'
like "80x24: a group needing no sidecars shows -" "$TMUX_SCREEN" \
	'^istiod +0/0 min 1 +0 \(0 new\) +- '
# Advance: the header's countdown appears beside the phase.
# This world fails the preflight (a pod in CrashLoopBackOff, no Istio
# Gateway for the host): the advance asks for the typed confirmation.
tmux_keys n
tmux_wait 10 "Type 'advance'" >/dev/null
if printf '%s\n' "$TMUX_SCREEN" | grep -q '^stages '; then
	pass "80x24: the panes beside a dialog stay drawn"
else
	fail "80x24: the panes beside a dialog stay drawn" "$(tmux_diag)"
fi
tmux_type advance
tmux_keys Enter
tmux_wait 10 'Reason for the advance' >/dev/null
tmux_keys Enter
if tmux_wait 20 'stage 1/5 (HOLDING|BREACH)  hold (paused )?[0-9hms]+ .*local$'; then
	pass "80x24: stage, phase, hold countdown and clock after an advance"
else
	fail "80x24: stage, phase, hold countdown and clock after an advance" \
		"$(tmux_diag)"
fi
# Focus the pods pane and scroll: the last group comes into view.
tmux_keys Tab
tmux_keys j j j j
if tmux_wait 10 '^worker '; then
	pass "80x24: the focused pods pane scrolls to the last group"
else
	fail "80x24: the focused pods pane scrolls to the last group" \
		"$(tmux_diag)"
fi
# The help scrolls to its last line.
tmux_keys '?'
tmux_wait 10 'cutover keys' >/dev/null
unlike "80x24: the help's last line is not shown at first" "$TMUX_SCREEN" \
	'other key closes it'
tmux_keys NPage NPage NPage NPage
if tmux_wait 10 'any other key closes it'; then
	pass "80x24: the help scrolls to its last line"
else
	fail "80x24: the help scrolls to its last line" "$(tmux_diag)"
fi
like "80x24: the help says where it is" "$TMUX_SCREEN" '[0-9]+-[0-9]+ of [0-9]+'
tmux_keys x
if tmux_wait_gone 10 'cutover keys'; then
	pass "80x24: another key closes the help"
else
	fail "80x24: another key closes the help" "$(tmux_diag)"
fi

# --- 120x40 --------------------------------------------------------------
tmux_start 120 40 "$CUTOVER -c $T/plan.yaml"
if tmux_wait 20 'stage 1/5 [A-Z]+  hold (paused )?[0-9hms]+ .*[0-9][0-9]:[0-9][0-9] local$'; then
	pass "120x40: stage, phase, countdown and clock on the first line"
else
	fail "120x40: stage, phase, countdown and clock on the first line" \
		"$(tmux_diag)"
fi
line1=$(printf '%s\n' "$TMUX_SCREEN" | sed -n 1p)
# The host gives way before the context, its cut marked.
like "120x40: the plan name whole, the host whole or cut with …" "$line1" \
	'^cutover storefront-ingress-migration sho(p\.example\.com|[a-z.]*…)  ctx'
like "120x40: the cluster's name" "$line1" 'ctx ExampleCluster'
tmux_wait 10 '^worker ' >/dev/null
if printf '%s\n' "$TMUX_SCREEN" | grep -q '^istio-ingressgat' &&
    printf '%s\n' "$TMUX_SCREEN" | grep -q '^worker ' &&
    ! printf '%s\n' "$TMUX_SCREEN" | grep -q 'groups (Tab'; then
	pass "120x40: every group shows, nothing is counted hidden"
else
	fail "120x40: every group shows, nothing is counted hidden" \
		"$(tmux_diag)"
fi
like "120x40: the terminating pod of api is marked" "$TMUX_SCREEN" \
	'^api .*1 terminating'
like "120x40: api requires sidecars: counted" "$TMUX_SCREEN" \
	'^api +[0-9]+/[0-9]+ min 3 .* [0-9]+/[0-9]+ '

# --- the pinned decision and the full-screen log (the demo, real time) -----
# Through the demo's guard: its view carries the pinned decision.
rm -rf "$XDG_STATE_HOME/cutover"
tmux_start 80 24 "$CUTOVER --demo --no-autopilot --demo-speed 1"
tmux_wait 20 'stage 0/5 READY' >/dev/null
# The demo's world passes the preflight once its weights are read back.
tmux_wait 20 'preflight: every check passes' >/dev/null
tmux_keys n
tmux_wait 10 'Advance to stage 1' >/dev/null
tmux_yes
if tmux_wait 20 '^decided .*advancing from stage 0 to stage 1 \(10 %\)'; then
	pass "the advance is pinned as the last decision, with its values"
else
	fail "the advance is pinned as the last decision, with its values" \
		"$(tmux_diag)"
fi
if tmux_wait 20 '[0-9]{2}:[0-9]{2}:[0-9]{2} entered stage 1 \(10 %\)'; then
	pass "event lines read as sentences"
else
	fail "event lines read as sentences" "$(tmux_diag)"
fi
tmux_wait 20 'stage 1/5 HOLDING' >/dev/null
# Ten later events: pause and resume, five times.
i=0
while [ $i -lt 5 ]; do
	tmux_keys p
	tmux_wait 10 'stage 1/5 PAUSED' >/dev/null
	tmux_keys p
	tmux_wait 10 'stage 1/5 HOLDING' >/dev/null
	i=$((i + 1))
done
if tmux_wait 10 '[0-9]{2}:[0-9]{2}:[0-9]{2} resumed stage 1' &&
    printf '%s\n' "$TMUX_SCREEN" |
    grep -Eq '^decided .*advancing from stage 0 to stage 1'; then
	pass "the pinned decision survives 10 later events"
else
	fail "the pinned decision survives 10 later events" "$(tmux_diag)"
fi
unlike "the advance itself has scrolled out of the event log pane" \
	"$(printf '%s\n' "$TMUX_SCREEN" | grep -v '^decided')" \
	'[0-9] advancing from stage 0'
tmux_keys l
if tmux_wait 10 '^event log: lines [0-9]+-[0-9]+ of [0-9]+'; then
	pass "l opens the whole log full screen"
else
	fail "l opens the whole log full screen" "$(tmux_diag)"
fi
tmux_keys g
like "the full log holds the advance" "$(tmux_screen)" \
	'[0-9] advancing from stage 0 to stage 1'
tmux_keys G / r e s u m e d Enter
if tmux_wait 10 '[0-9] resumed stage 1' &&
    ! printf '%s\n' "$TMUX_SCREEN" | grep -q 'not found'; then
	pass "/ finds a line"
else
	fail "/ finds a line" "$(tmux_diag)"
fi
tmux_keys / n o - s u c h - l i n e Enter
if tmux_wait 10 'not found: no-such-line'; then
	pass "/ says when nothing matches"
else
	fail "/ says when nothing matches" "$(tmux_diag)"
fi
tmux_keys Escape
if tmux_wait 10 '^n advance .*q quit' && tmux_wait 10 'stage 1/5'; then
	pass "Esc goes back to the dashboard"
else
	fail "Esc goes back to the dashboard" "$(tmux_diag)"
fi
