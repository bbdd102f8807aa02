#!/bin/sh
# valgrind — `cutover check` and `cutover status` (plain and --json, with
# the built-in defaults and with the example plan) under memcheck: no
# errors, no leaks.  Run by .ci/run on a build without sanitizers.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
[ "${ENABLE_ASAN:-no}" = yes ] && skip_build "ASan build: valgrind needs a plain build"
[ -n "${VALGRIND:-}" ] && [ -x "$VALGRIND" ] || skip_all "valgrind not found"
plan 8

vg() {
	"$VALGRIND" --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
		--log-file="$T/vg.log" "$CUTOVER" "$@" >"$T/out" 2>&1
	rc=$?
	[ $rc -ne 99 ] && [ ! -s "$T/vg.log" ]
}

cd "$T" || exit 1
ok "check, built-in defaults" vg check
ok "status, built-in defaults" vg status
ok "status --json, built-in defaults" vg status --json
ok "check, example plan" vg -c "$top_srcdir/examples/cutover.yaml" check
ok "status, example plan (prometheus unreachable)" vg -c "$top_srcdir/examples/cutover.yaml" status
printf 'stages:\n  - istio: 101\n' >bad.yaml
vg -c bad.yaml check
is "check, a bad plan: exit 65, clean" "$rc $(cat "$T/vg.log")" "65 "

# A scripted demo run in a real terminal: keys, a dialog, focus, quit; in
# one process (--no-guard), so that the whole session runs under valgrind.
if [ -z "${TMUX_BIN:-}" ] || [ ! -x "$TMUX_BIN" ]; then
	skip_one "demo under valgrind" "no tmux"
	skip_one "demo exit status" "no tmux"
	exit 0
fi
TM="$TMUX_BIN -L cutover-vg-$$ -f /dev/null"
trap '$TM kill-server 2>/dev/null; cleanup' EXIT
$TM new-session -d -s vg -x 80 -y 24 "cd '$T' && LANG=C.UTF-8 TERM=xterm-256color '$VALGRIND' --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --log-file='$T/vgdemo.log' '$CUTOVER' --demo --no-guard --demo-speed 600; echo \$? >'$T/demo.exit'; sleep 60"
screen() { $TM capture-pane -p -t vg 2>/dev/null; }
wait_for 60 sh -c "$TM capture-pane -p -t vg | grep -q 'stage [12]/5'"
$TM send-keys -t vg '?'
wait_for 20 sh -c "$TM capture-pane -p -t vg | grep -q 'cutover keys'"
$TM send-keys -t vg Escape
$TM send-keys -t vg Tab j j k Tab
$TM send-keys -t vg n
sleep 1
$TM send-keys -t vg Escape
$TM send-keys -t vg q
wait_for 60 test -s "$T/demo.exit"
is "demo under valgrind: no errors, no leaks" "$(cat "$T/vgdemo.log" 2>/dev/null)" ""
is "demo exit status" "$(cat "$T/demo.exit" 2>/dev/null)" 0
