#!/bin/sh
# Replay every fuzz target's seed corpus (tests/fuzz/corpus/<name>/)
# through the target built without libFuzzer, with the configured
# sanitizers: one TAP line per target.  A crash or a sanitizer report on
# any input fails that target's line, with the report as diagnostics.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

set -- "$top_srcdir"/tests/fuzz/fuzz_*.c
plan $#
for src; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin=$top_builddir/tests/fuzz/fuzz_$name
	corpus=$top_srcdir/tests/fuzz/corpus/$name
	if [ ! -x "$bin" ] || [ ! -d "$corpus" ]; then
		fail "fuzz_$name replays its corpus" "missing $bin or $corpus"
		continue
	fi
	if "$bin" "$corpus" >"$T/$name.out" 2>&1; then
		pass "fuzz_$name replays its corpus ($(tail -n 1 "$T/$name.out"))"
	else
		fail "fuzz_$name replays its corpus" "$(tail -n 40 "$T/$name.out")"
	fi
done
