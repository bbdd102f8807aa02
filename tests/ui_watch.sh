#!/bin/sh
# ui_watch — a watch-only plan (no traffic: section) in the dashboard: the
# advance and rollback hints are dimmed, n and r are refused with a clear
# message on screen and in the event log, nothing changes (stage 0, ready,
# no alarm, no failed driver step) and both refusals are audited.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
tmux_require

plan 10

D="$T/watch"
mkdir -m 700 "$D"
cat >"$T/plan.yaml" <<EOF
name: watch
refresh: 1s
state_file: $D/watch.state.json
audit_log: $D/watch.audit.jsonl
pods: []
EOF

tmux_start 100 30 "$CUTOVER -c $T/plan.yaml; echo EXIT=\$? >$T/exit"
if tmux_wait 20 'stage 0/5'; then
	pass "the dashboard starts"
else
	fail "the dashboard starts" "$(tmux_diag)"
fi

# The hints line: "n advance" and "r rollback" dim (SGR 2), "q quit" not.
tmux_wait 5 'n advance' >/dev/null
tmux_screen -e | grep 'q quit' >"$T/hints"
# sgr_dim TEXT: "dim" or "normal", the attribute where TEXT starts.
sgr_dim() {
	"$PYTHON3" - "$T/hints" "$1" <<'PY'
import re, sys
line, want = open(sys.argv[1]).read(), sys.argv[2]
dim, pos = False, 0
for m in re.finditer(r"\x1b\[([0-9;]*)m", line):
    if want in line[pos:m.start()]:
        break
    for p in (m.group(1) or "0").split(";"):
        if p in ("", "0", "22"):
            dim = False
        elif p == "2":
            dim = True
    pos = m.end()
print("dim" if dim else "normal")
PY
}
is "the advance hint is dimmed" "$(sgr_dim 'n advance')" dim
is "the rollback hint is dimmed" "$(sgr_dim 'r rollback')" dim
is "the quit hint is not" "$(sgr_dim 'q quit')" normal

tmux_keys n
if tmux_wait 5 'advance refused: no traffic driver'; then
	pass "n is refused with a clear message"
else
	fail "n is refused with a clear message" "$(tmux_diag)"
fi
tmux_keys y
tmux_keys r
if tmux_wait 5 'rollback refused: no traffic driver'; then
	pass "r is refused with a clear message"
else
	fail "r is refused with a clear message" "$(tmux_diag)"
fi
tmux_keys y
unlike "no alarm, no failed driver step" "$(tmux_screen)" 'ALARM|DRIVER FAILED|uncertain'

tmux_keys q
ok "the dashboard quits" wait_file 10 "$T/exit" 'EXIT='
# The guard it started leaves after its grace at stage 0, saving the state.
no_cutover() { [ -z "$(own_cutovers)" ]; }
wait_for 30 no_cutover
"$PYTHON3" - "$D/watch.state.json" "$D/watch.audit.jsonl" >"$T/got" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["state"]
refused = [d["action"] for d in map(json.loads, open(sys.argv[2]))
           if d["result"] == "refused" and "no traffic driver" in d.get("reason", "")]
print(s["stage"], s["phase"], s["uncertain"], s["alarm"], " ".join(sorted(refused)))
PY
is "state and audit: stage 0, ready, both refusals recorded" "$(cat "$T/got")" \
	"0 ready False False advance rollback"
is "the dashboard exits 0" "$(cat "$T/exit")" "EXIT=0"
