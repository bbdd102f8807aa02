#!/bin/sh
# `cutover check` prints every resolved setting by walking the plan schema;
# its output is pinned here for the built-in defaults, the example plan and
# one plan per driver (secrets redacted), so a change to the schema tables
# that changes the printout shows as a diff.  Regenerate an .out file only
# for a change meant to be seen by users.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

D=$top_srcdir/tests/fixtures/check
CASES="default example exec route53 cloudflare-pool cloudflare-lb"
plan 6

for c in $CASES; do
	case $c in
	default) args="" ;;
	example) args="-c $top_srcdir/examples/cutover.yaml" ;;
	*) args="-c $D/$c.yaml" ;;
	esac
	# The plan's path varies with the build tree: shown as @SRC@.
	env -u XDG_STATE_HOME -u XDG_RUNTIME_DIR HOME=/home/op $CUTOVER $args check \
		>"$T/$c.raw" 2>&1
	echo "exit $?" >>"$T/$c.raw"
	sed "s#$top_srcdir#@SRC@#" "$T/$c.raw" >"$T/$c.out"
	if cmp -s "$D/$c.out" "$T/$c.out"; then
		pass "check prints the $c plan as before"
	else
		diff -u "$D/$c.out" "$T/$c.out" | sed 's/^/# /' >&2
		fail "check prints the $c plan as before"
	fi
done
