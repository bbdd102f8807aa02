#!/bin/sh
# ui_keys — keys are answered while every backend hangs: the dashboard
# never blocks on a source.  Prometheus is tests/httpd.py's /slow route (it
# answers after 30 s), the Kubernetes API is a server that accepts and
# never answers, the traffic driver's read-back hangs for 30 s; timeouts
# are 30 s, refresh 1 s.  Help, a refused pause and quitting must each
# show within 2 s.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 11

port=$(free_port)
"$PYTHON3" "$top_srcdir/tests/httpd.py" "$port" >"$T/httpd.out" 2>&1 &
track $!
if ! wait_for 10 grep -q '^ready' "$T/httpd.out"; then
	skip_all "tests/httpd.py did not start"
fi

# A Kubernetes API server that accepts connections and never answers.
"$PYTHON3" "$top_srcdir/tests/silentd.py" >"$T/kube.out" 2>&1 &
track $!
wait_for 10 grep -q '^ready' "$T/kube.out" || skip_all "silent server did not start"
kport=$(awk '/^ready/{print $2}' "$T/kube.out")
cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: hang
clusters:
- name: hang
  cluster: {server: "http://127.0.0.1:$kport"}
contexts:
- name: hang
  context: {cluster: hang, user: hang}
users:
- name: hang
  user: {token: not-a-real-token}
EOF

# The exec driver: set records the weights, get (the read-back at start)
# hangs like the other backends.
cat >"$T/set.sh" <<EOF
#!/bin/sh
echo "istio=\$1 apisix=\$2" >"$T/weights"
echo "\$(date +%s) set \$1 \$2" >>"$T/driver.log"
EOF
cat >"$T/get.sh" <<EOF
#!/bin/sh
sleep 30
if [ -f "$T/weights" ]; then cat "$T/weights"; else echo "istio=0 apisix=100"; fi
EOF
chmod +x "$T/set.sh" "$T/get.sh"

# /slow?pad= : the client appends /api/v1/query to the query string, so
# every query lands on /slow and hangs for 30 s.
cat >"$T/plan.yaml" <<EOF
name: hang
refresh: 1s
prometheus:
  url: "http://127.0.0.1:$port/slow?pad="
  timeout: 30s
traffic:
  driver: exec
  exec:
    set: ["$T/set.sh", "{istio}", "{apisix}"]
    get: ["$T/get.sh"]
    timeout: 40s
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 30s
pods:
  - name: gateway
    namespace: istio-system
    selector: app=istio-ingressgateway
    min_ready: 2
EOF

if ! "$CUTOVER" check -c "$T/plan.yaml" >"$T/check.out" 2>&1; then
	fail "the plan is valid" "$(cat "$T/check.out")"
else
	pass "the plan is valid"
fi

tmux_start 80 24 "$CUTOVER -c $T/plan.yaml; echo EXIT=\$? >$T/exit"
if tmux_wait 20 'stage 0/5'; then
	pass "the dashboard starts"
else
	fail "the dashboard starts" "$(tmux_diag)"
fi
# Let the first queries be sent (and hang).
sleep_until=$(($(date +%s) + 2))
while [ "$(date +%s)" -lt "$sleep_until" ]; do
	tmux_screen >/dev/null
	sleep 0.1
done
# Queries are in flight now (the server holds them for 30 s).
tmux_keys '?'
if tmux_wait_ms 2000 'cutover keys'; then
	pass "? shows the help within 2 s while queries hang"
else
	fail "? shows the help within 2 s while queries hang" "$(tmux_diag)"
fi
tmux_keys Escape
if tmux_wait_gone 2 'cutover keys'; then
	pass "the help closes"
else
	fail "the help closes" "$(tmux_diag)"
fi

# Stage 0: nothing to pause; the refusal shows on the hints line.
tmux_keys p
if tmux_wait_ms 2000 'pause refused|nothing to pause'; then
	pass "p shows the refusal within 2 s"
else
	fail "p shows the refusal within 2 s" "$(tmux_diag)"
fi
like "the refusal says why" "$TMUX_SCREEN" 'nothing to pause before the first stage'

like "metrics show no data" "$TMUX_SCREEN" '^error rate +no data'
s1=$TMUX_SCREEN
age1=$(printf '%s\n' "$s1" | awk '/^error rate/ { print $NF }')
tmux_wait 5 "^requests .* no data" >/dev/null
# The ages must grow while the queries hang (or show "-" / no age).
sleep_until=$(($(date +%s) + 3))
while [ "$(date +%s)" -lt "$sleep_until" ]; do
	tmux_screen >/dev/null
	sleep 0.2
done
age2=$(printf '%s\n' "$TMUX_SCREEN" | awk '/^error rate/ { print $NF }')
like "metrics still no data while hanging" "$TMUX_SCREEN" '^error rate +no data'
if [ "$age1" = "$age2" ] && printf '%s' "$age1" | grep -Eq '^[0-9]+[smh]'; then
	fail "the age column grows while queries hang" "before: $age1" "after: $age2"
else
	pass "the age column grows (or stays unknown) while queries hang ($age1 -> $age2)"
fi
unlike "no (null) or nan on the screen" "$TMUX_SCREEN" '\(null\)|(^|[^a-z])nan([^a-z]|$)'

start=$(date +%s)
tmux_keys q
if wait_file 2 "$T/exit" 'EXIT='; then
	pass "q quits within 2 s while queries hang"
else
	fail "q quits within 2 s while queries hang" "$(tmux_screen)"
fi
