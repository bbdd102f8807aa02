#!/bin/sh
# badplans — every bad plan under tests/fixtures/plans/bad/<case>/ through
# the real binary: `cutover check -c <case>/cutover.yaml` must exit 65 (data
# error) and say, on exactly one line of stderr, the text in <case>/expected
# ("cutover.yaml:LINE:COL: message"), without any sanitizer report.
. "$top_srcdir/tests/lib.sh"

[ -x "$CUTOVER" ] || skip_all "no cutover binary at $CUTOVER"

dir=$top_srcdir/tests/fixtures/plans/bad
n=0
for d in "$dir"/*/; do
	[ -f "$d/cutover.yaml" ] && n=$((n + 1))
done
[ "$n" -gt 0 ] || skip_all "no bad plans under $dir"
plan "$n"

# A hung parser must fail the case, not the whole run.
run_check() {
	if command -v timeout >/dev/null 2>&1; then
		timeout 20 "$CUTOVER" check -c "$1"
	else
		"$CUTOVER" check -c "$1"
	fi
}

for d in "$dir"/*/; do
	d=${d%/}
	[ -f "$d/cutover.yaml" ] || continue
	name=$(basename "$d")
	expected=$(head -n 1 "$d/expected")
	run_check "$d/cutover.yaml" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	first=$(head -n 1 "$T/err")
	lines=$(wc -l <"$T/err" | tr -d ' ')
	why=""
	if [ -z "$expected" ]; then
		why="empty expected file"
	elif [ "$rc" -ne 65 ]; then
		why="exit status $rc, want 65"
	elif grep -q 'Sanitizer' "$T/err"; then
		why="sanitizer report"
	elif ! printf '%s\n' "$first" | grep -qF -- "$expected"; then
		why="first line of stderr lacks the expected text"
	elif [ "$lines" -ne 1 ]; then
		why="stderr has $lines lines, want 1"
	fi
	if [ -z "$why" ]; then
		pass "$name"
	else
		fail "$name: $why" "expected: $expected" \
			"stderr:   $(head -n 5 "$T/err")"
	fi
done
