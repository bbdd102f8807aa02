#!/bin/sh
# hostile_text — outside text through the real binary.  A backend that
# answers Prometheus and Kubernetes requests with terminal escapes, C1
# controls, invalid UTF-8 and echoed credentials, an exec driver whose
# scripts print the same, an operator's --reason with an escape, and a
# plan with a password in its Prometheus URL: no raw escape reaches
# stdout or stderr of status, status --json, advance, reconcile, check or
# log, and no credential reaches them or the audit log.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
plan 32

# --- a hostile backend: Prometheus and the Kubernetes API on one port -------
cat >"$T/hostile.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ESC = "\x1b]0;pwned\x07\x1b[2J"
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, status, ctype, body):
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogateescape")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        q = parse_qs(self.rfile.read(n).decode()).get("query", [""])[0]
        if "apisix" in q:
            # an error envelope whose text carries the echo
            self.reply(400, "application/json", json.dumps({
                "status": "error", "errorType": "bad_data",
                "error": ESC + " token=supersecret \x9b2J"}))
        else:
            self.reply(502, "text/plain", ESC + " Authorization: Bearer "
                       "supersecret \udcc2\udc9b31m \udcff")
    def do_GET(self):
        path = urlsplit(self.path).path
        if path.startswith("/api/v1/namespaces/bad/"):
            self.reply(500, "text/plain", ESC + " Bearer supersecret")
        elif path.startswith("/api/v1/namespaces/"):
            pod = {"metadata": {"name": "p\x1b[31m1"},
                   "status": {"phase": "Pending\x1b[2J", "containerStatuses": [
                       {"name": "c", "restartCount": 1,
                        "state": {"waiting": {"reason": "Bad\x1b]0;x\x07"}}}]}}
            self.reply(200, "application/json",
                       json.dumps({"kind": "PodList", "items": [pod],
                                   "metadata": {}}))
        else:
            self.reply(404, "text/plain", "no")

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("ready %d" % srv.server_address[1], flush=True)
srv.serve_forever()
PY
"$PYTHON3" "$T/hostile.py" >"$T/srv.out" 2>"$T/srv.err" &
track $!
wait_for 10 grep -q '^ready ' "$T/srv.out"
PORT=$(sed -n 's/^ready //p' "$T/srv.out")
ok "the hostile backend is up" test -n "$PORT"

cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: t
clusters:
- name: t
  cluster: {server: "http://127.0.0.1:$PORT"}
contexts:
- name: t
  context: {cluster: t, user: t}
users:
- name: t
  user: {token: kube-token-not-shown}
EOF

# --- an exec driver whose scripts say hostile things -----------------------
cat >"$T/set.sh" <<'SH'
#!/bin/sh
printf '\033]0;pwned\007set \233 password=supersecret\n'
if [ -f "$T_DIR/fail" ]; then
	printf '\033[31mboom Authorization: Bearer supersecret\n' >&2
	exit 3
fi
printf 'istio=%s apisix=%s\n' "$1" "$2" >"$T_DIR/weights"
SH
cat >"$T/get.sh" <<'SH'
#!/bin/sh
if [ -f "$T_DIR/badget" ]; then
	printf 'istio=\033[2J \302\233 token=supersecret\n'
	exit 0
fi
cat "$T_DIR/weights" 2>/dev/null || echo "istio=0 apisix=100"
SH
export T_DIR="$T"
cat >"$T/cutover.yaml" <<EOF
name: hostile
state_file: $T/state/h.state.json
audit_log: $T/state/h.audit.jsonl
prometheus:
  url: http://127.0.0.1:$PORT
  timeout: 3s
kubernetes:
  kubeconfig: $T/kubeconfig
  timeout: 3s
pods:
  - {name: good, namespace: good, selector: app=x, min_ready: 1}
  - {name: bad, namespace: bad, selector: app=x, min_ready: 1}
traffic:
  driver: exec
  exec:
    set: [sh, $T/set.sh, "{istio}", "{apisix}"]
    get: [sh, $T/get.sh]
    timeout: 10s
EOF
C="$CUTOVER -c $T/cutover.yaml"

# hostile FILE: what a terminal or a log must never get, found in FILE.
hostile() {
	"$PYTHON3" - "$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
found = [w for w in (b"\x1b", b"\x07", b"\x9b", b"\xff", b"supersecret",
                     b"hunter2", b"tok3n", b"kube-token") if w in d]
print(" ".join(repr(w) for w in found))
PY
}

$C status >"$T/status.out" 2>"$T/status.err"
is "status: sources failed (exit 3)" "$?" 3
like "status names the Prometheus error" "$(cat "$T/status.out")" \
	"istio_error_rate .*error: HTTP 502.*Bearer \*\*\*"
like "status names the pod group error" "$(cat "$T/status.out")" \
	"pods bad .*unknown: HTTP 500.*Bearer \*\*\*"
like "status shows the pod reason with '?'" "$(cat "$T/status.out")" \
	"pods good .*Bad\?\]0;x\?"
is "status: no escape, no secret on stdout" "$(hostile "$T/status.out")" ""
is "status: no escape, no secret on stderr" "$(hostile "$T/status.err")" ""

$C status --json >"$T/status.json" 2>"$T/status.err"
is "status --json: exit 3" "$?" 3
ok "status --json is valid JSON" "$PYTHON3" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/status.json"
is "status --json: no escape, no secret" "$(hostile "$T/status.json")" ""
unlike "status --json: no escaped ESC either" "$(cat "$T/status.json")" '\\u001b|\\u009b'

$C advance --yes --force --reason "$(printf '\033[31mX\033]0;t\007')" >"$T/adv.out" 2>"$T/adv.err"
is "advance with hostile driver output: exit 0" "$?" 0
is "advance: no escape, no secret on stdout" "$(hostile "$T/adv.out")" ""
is "advance: no escape, no secret on stderr" "$(hostile "$T/adv.err")" ""

touch "$T/fail"
$C advance --yes --force >"$T/fail.out" 2>"$T/fail.err"
is "a failing driver: exit 2" "$?" 2
like "its stderr is reported, redacted" "$(cat "$T/fail.err")" \
	"driver failed: .*boom Authorization: Bearer \*\*\*"
is "failing driver: no escape, no secret on stderr" "$(hostile "$T/fail.err")" ""
rm -f "$T/fail"

touch "$T/badget"
$C reconcile >"$T/rec.out" 2>"$T/rec.err"
is "reconcile with hostile get output: no escape, no secret" \
	"$(hostile "$T/rec.out") $(hostile "$T/rec.err")" " "
rm -f "$T/badget"

is "audit log: no escape, no secret" "$(hostile "$T/state/h.audit.jsonl")" ""
$C log >"$T/log.out" 2>&1
like "log shows the reason with '?'" "$(cat "$T/log.out")" '\(\?\[31mX\?\]0;t\?[,)]'
is "log: no escape" "$(hostile "$T/log.out")" ""

# Another operator's line written by hand with raw control bytes.
printf '{"time":"t","actor":{"user":"ev\033[2Jil"},"action":"advance","result":"ok","reason":"\033]0;x\007"}\n\033[31mtorn\n' \
	>>"$T/state/h.audit.jsonl"
$C log >"$T/log2.out" 2>&1
$C log --json >"$T/log2.json" 2>&1
is "log of raw control bytes: no escape" \
	"$(hostile "$T/log2.out") $(hostile "$T/log2.json")" " "

# --- a kube exec credential plugin that fails loudly -----------------------
cat >"$T/plugin.sh" <<'SH'
#!/bin/sh
printf '\033]0;pwned\007 login failed: password=supersecret\n' >&2
exit 1
SH
sed -e '/^users:/,$d' "$T/kubeconfig" >"$T/kubeconfig.exec"
cat >>"$T/kubeconfig.exec" <<EOF
users:
- name: t
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sh
      args: [$T/plugin.sh]
      interactiveMode: Never
EOF
sed -e "s|kubeconfig: .*|kubeconfig: $T/kubeconfig.exec|" \
	-e "s|url: .*|url: http://127.0.0.1:1|" "$T/cutover.yaml" >"$T/exec.yaml"
# Asked here: the guard left above runs the other plan file.
$CUTOVER -c "$T/exec.yaml" status --no-guard >"$T/plugin.out" 2>&1
like "status names the plugin's failure, redacted" "$(cat "$T/plugin.out")" \
	"pods good .*exec plugin sh exited with 1: .*login failed: password=\*\*\*"
is "plugin: no escape, no secret" "$(hostile "$T/plugin.out")" ""

# A source that cannot start: its error quotes a plan string.
cat >"$T/nokube.yaml" <<EOF
name: nokube
state_file: $T/state/nk.state.json
audit_log: $T/state/nk.audit.jsonl
kubernetes:
  kubeconfig: "$T/no\\e]0;x\\a"
pods:
  - {name: good, namespace: good, selector: app=x, min_ready: 1}
EOF
$CUTOVER -c "$T/nokube.yaml" status >"$T/nokube.out" 2>&1
like "status names the source that cannot start" "$(cat "$T/nokube.out")" \
	"sources: .*kubernetes: .*no\?\]0;x\?"
is "source note: no escape" "$(hostile "$T/nokube.out")" ""

# --- check: plan strings and secrets in the plan ---------------------------
cat >"$T/check.yaml" <<EOF
name: check
prometheus:
  url: http://u:hunter2@127.0.0.1:1
  headers: {X-Scope-OrgID: tok3n}
queries:
  mtls_coverage: "up\e]0;x\a"
traffic:
  driver: exec
  exec:
    set: [curl, -H, "Authorization: Bearer tok3n", "{istio}"]
EOF
$CUTOVER -c "$T/check.yaml" check >"$T/check.out" 2>&1
is "check: exit 0" "$?" 0
like "check shows the URL without its password" "$(cat "$T/check.out")" \
	"prometheus.url: http://u:\*\*\*@127.0.0.1:1"
like "check shows a query with '?'" "$(cat "$T/check.out")" \
	"queries.mtls_coverage: up\?\]0;x\?"
is "check: no escape, no password, no token" "$(hostile "$T/check.out")" ""
printf 'name: "pwn\\e]0;x\\a"\n' >"$T/badname.yaml"
$CUTOVER -c "$T/badname.yaml" check >"$T/bad.out" 2>&1
is "a plan with a bad name: exit 65" "$?" 65
is "the error shows the name without its escape" "$(hostile "$T/bad.out")" ""
