#!/bin/sh
# valgrind — `cutover check` and `cutover status` (plain and --json, with
# the built-in defaults and with the example plan) under memcheck: no
# errors, no leaks.  Run by .ci/run on a build without sanitizers.
. "$top_srcdir/tests/lib.sh"
[ -x "$CUTOVER" ] || skip_all "no cutover binary"
[ -n "${VALGRIND:-}" ] && [ -x "$VALGRIND" ] || skip_all "valgrind not found"
[ "${ENABLE_ASAN:-no}" = yes ] && skip_all "ASan build: valgrind needs a plain build"
plan 6

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
