#!/bin/sh
# sources_cli — `cutover status` against a Kubernetes API test server whose
# pod lists never end (tests/kubeapi.py /_test/paging): the same continue
# token again, or a new one on every page.  status must finish, name the
# cause for the group and exit 3 (a source failed), never 0.  And a
# Prometheus whose samples are a day old: answered, but stale, no data.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
"$PYTHON3" -c 'import json' 2>/dev/null || skip_all "python3 not found"
plan 10

. "$top_srcdir/tests/kubeapi.sh"
kubeapi_start --pods "$top_srcdir/tests/fixtures/kube/pods"
kubeapi_kubeconfig any
cat >"$T/cutover.yaml" <<EOF
name: sources-test
namespace: voiceassistant-prod
state_file: $T/state/sources.state.json
audit_log: $T/state/sources.audit.jsonl
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 5s
pods:
  - name: api
    selector: app=api
    min_ready: 1
EOF
C="$CUTOVER -c $T/cutover.yaml"

ctl() { # ctl METHOD PATH: the server's test controls
	"$PYTHON3" - "$PORT" "$1" "$2" <<'PY'
import sys, urllib.request
port, method, path = sys.argv[1:4]
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
                             method=method, data=b"" if method == "POST" else None)
sys.stdout.write(urllib.request.urlopen(req).read().decode())
PY
}

$C status >"$T/out" 2>"$T/err"
is "status with sane paging exits 0" "$?" 0

ctl POST "/_test/paging?mode=repeat" >/dev/null
$C status >"$T/out" 2>"$T/err"
is "a repeated continue token: status exits 3" "$?" 3
like "status names the repeated token" "$(cat "$T/out")" \
	"pods api +unknown: .*continue token it was sent"

ctl POST "/_test/paging?mode=endless" >/dev/null
$C status --json >"$T/out" 2>"$T/err"
is "a never-ending list: status --json exits 3" "$?" 3
like "status --json names the page cap" "$(cat "$T/out")" \
	"goes on after 500 pages"
unlike "no pods counted from the endless list" "$(cat "$T/out")" \
	'"total": [1-9]'

# --- a Prometheus (or a cache before it) that answers with day-old samples
cat >"$T/oldprom.py" <<'PY'
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        body = json.dumps({"status": "success", "data": {
            "resultType": "vector", "result": [{"metric": {},
            "value": [time.time() - 86400, "1"]}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("ready %d" % s.server_address[1], flush=True)
s.serve_forever()
PY
"$PYTHON3" "$T/oldprom.py" >"$T/oldprom.out" 2>"$T/oldprom.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/oldprom.out"
PPORT=$(awk '/^ready /{print $2}' "$T/oldprom.out")
cat >"$T/prom.yaml" <<EOF
name: sources-prom
state_file: $T/state/prom.state.json
audit_log: $T/state/prom.audit.jsonl
prometheus:
  url: http://127.0.0.1:$PPORT
pods: []
EOF
$CUTOVER -c "$T/prom.yaml" status >"$T/out" 2>"$T/err"
is "day-old samples: status exits 0 (the source answered)" "$?" 0
like "a day-old sample reads no data, a day old" "$(cat "$T/out")" \
	"istio_request_rate +no data +age 86(39[0-9]|4[0-9][0-9])s"
unlike "no query shows a value" "$(cat "$T/out")" \
	"(rate|_ms|availability|coverage) +[0-9]"
