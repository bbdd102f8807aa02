#!/bin/sh
# kubectl_watch — keeps tests/kubeapi.py's watch honest: the REAL kubectl
# ($KUBECTL, else kubectl in PATH) runs `get pods --watch
# --output-watch-events -o json` against it while pods change through the
# server's test controls, and must see exactly the server's events in
# order (the list as ADDED, then MODIFIED, ADDED, DELETED), from a watch
# that went on from the list's resourceVersion; the last state kubectl
# saw of each pod is what the server then lists.  Skips (77 / TAP SKIP)
# without kubectl or python3.

. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

: "${KUBECTL:=$(command -v kubectl 2>/dev/null)}"
[ -n "$KUBECTL" ] && [ -x "$KUBECTL" ] || skip_all "kubectl not found"

plan 4

PODS="$top_srcdir/tests/fixtures/kube/pods"
NS=voiceassistant-prod

"$PYTHON3" "$top_srcdir/tests/kubeapi.py" --port 0 --pods "$PODS" \
	--bookmark-seconds 1 >"$T/server.out" 2>"$T/server.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/server.out"
PORT=$(awk '/^ready /{print $2}' "$T/server.out")
if [ -z "$PORT" ]; then
	fail "kubeapi.py starts" "$(cat "$T/server.err")"
	exit 1
fi
cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: http://127.0.0.1:$PORT
users:
- name: tester
  user: {}
contexts:
- name: test
  context: {cluster: test, user: tester, namespace: $NS}
current-context: test
EOF

# py SCRIPT ARGS...: a short Python helper (the server's controls, and
# kubectl's stream of JSON documents).
py() {
	"$PYTHON3" - "$PORT" "$@"
}
post() {
	py "$1" <<'EOF'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(
    "http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), data=b"",
    method="POST")).read()
EOF
}
# "TYPE name" per event kubectl printed so far.
events() {
	py "$T/watch.out" <<'EOF'
import json, sys
text, dec, i = open(sys.argv[2]).read(), json.JSONDecoder(), 0
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    try:
        ev, i = dec.raw_decode(text, i)
    except ValueError:
        break
    print(ev["type"], ev["object"]["metadata"]["name"])
EOF
}
count() {	# count N: kubectl printed at least N events
	[ "$(events | wc -l)" -ge "$1" ]
}

"$KUBECTL" --kubeconfig "$T/kubeconfig" get pods -n "$NS" -l app=api \
	--watch --output-watch-events -o json >"$T/watch.out" \
	2>"$T/watch.err" &
track $!
if ! wait_for 20 count 5; then
	fail "kubectl lists the pods before watching" "$(cat "$T/watch.err")"
	exit 1
fi
pass "kubectl lists the five api pods before watching"

q="namespace=$NS"
post "/_test/pod?op=restart&$q&name=api-7d9f8c6b5-a1b2c"
post "/_test/pod?op=add&$q&name=api-new-1&from=api-7d9f8c6b5-a1b2c"
post "/_test/pod?op=ready&value=false&$q&name=api-7d9f8c6b5-d3e4f"
post "/_test/pod?op=delete&$q&name=api-new-1"
post "/_test/pod?op=delete&$q&name=legacy-6f5e4d3c2-t3u4v"
wait_for 20 count 9
is "kubectl sees the server's events in order, and only its group's" \
	"$(events | tail -n +6)" "MODIFIED api-7d9f8c6b5-a1b2c
ADDED api-new-1
MODIFIED api-7d9f8c6b5-d3e4f
DELETED api-new-1"

watch=$(py <<'EOF'
import json, sys, urllib.request
log = urllib.request.urlopen("http://127.0.0.1:%s/_test/requests"
                             % sys.argv[1]).read().decode()
for line in log.splitlines():
    r = json.loads(line)
    if "watch=" in r["query"]:
        print(r["query"])
EOF
)
like "  from a watch that went on from the list's resourceVersion" \
	"$watch" 'resourceVersion=1000'

# The last object kubectl saw of each pod is what the server lists now.
last=$(py "$T/watch.out" <<'EOF'
import json, sys
text, dec, i, last = open(sys.argv[2]).read(), json.JSONDecoder(), 0, {}
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    ev, i = dec.raw_decode(text, i)
    name = ev["object"]["metadata"]["name"]
    if ev["type"] == "DELETED":
        last.pop(name, None)
    else:
        last[name] = ev["object"]["metadata"]["resourceVersion"]
print(json.dumps(last, sort_keys=True))
EOF
)
listed=$(py <<'EOF'
import json, sys, urllib.request
l = json.load(urllib.request.urlopen(
    "http://127.0.0.1:%s/api/v1/namespaces/voiceassistant-prod/pods"
    "?labelSelector=app%%3Dapi" % sys.argv[1]))
print(json.dumps({p["metadata"]["name"]: p["metadata"]["resourceVersion"]
                  for p in l["items"]}, sort_keys=True))
EOF
)
is "kubectl's last view of each pod is the server's list" "$last" "$listed"
