#!/bin/sh
# `make fuzz`: build every fuzz target with clang's libFuzzer and run each
# in turn for FUZZ_SECONDS on its seed corpus.  The project's sources are
# compiled again by FUZZ_CC into FUZZ_DIR (a gcc ASan build cannot link
# with libFuzzer).  New inputs go to FUZZ_DIR/corpus/<name>/, never into
# the tree; a crash leaves FUZZ_DIR/<name>-crash-* and makes the run fail.
# Make passes FUZZ_CC, FUZZ_DIR, FUZZ_SECONDS, FUZZ_TARGETS, FUZZ_CFLAGS,
# FUZZ_LIBS, top_srcdir and top_builddir.
: "${FUZZ_CC:=clang}" "${FUZZ_DIR:=fuzz-build}" "${FUZZ_SECONDS:=60}"
: "${FUZZ_CFLAGS:=}" "${FUZZ_LIBS:=}"

if ! "$FUZZ_CC" --version 2>/dev/null | grep -q clang; then
	echo "make fuzz: $FUZZ_CC is not clang (set FUZZ_CC=clang-NN)" >&2
	exit 1
fi
case $FUZZ_SECONDS in
''|*[!0-9]*) echo "make fuzz: FUZZ_SECONDS must be a number" >&2; exit 1 ;;
esac

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer $san -I$top_builddir \
-I$top_srcdir/src -I$top_srcdir/tests/fuzz $FUZZ_CFLAGS"
lib=$FUZZ_DIR/libcutover.a
mkdir -p "$FUZZ_DIR/obj" || exit 1

# The library, rebuilt when a source or a header is newer than it.
if [ ! -f "$lib" ] || [ -n "$(find "$top_srcdir/src" "$top_builddir/config.h" \
    -newer "$lib" -name '*.[ch]' 2>/dev/null | head -n 1)" ]; then
	rm -f "$lib" "$FUZZ_DIR"/obj/*.o
	# The drivers live in src/drivers/; their names do not clash.
	for src in "$top_srcdir"/src/*.c "$top_srcdir"/src/drivers/*.c; do
		[ "$(basename "$src")" = main.c ] && continue
		obj=$FUZZ_DIR/obj/$(basename "$src" .c).o
		echo "  CC (fuzz) $obj"
		"$FUZZ_CC" $cflags -fsanitize=fuzzer-no-link -c "$src" \
		    -o "$obj" || exit 1
	done
	ar rcs "$lib" "$FUZZ_DIR"/obj/*.o || exit 1
fi

failed=""
for t in $FUZZ_TARGETS; do
	bin=$FUZZ_DIR/fuzz_$t
	echo "  CCLD (fuzz) $bin"
	"$FUZZ_CC" $cflags -fsanitize=fuzzer \
	    "$top_srcdir/tests/fuzz/fuzz_$t.c" "$lib" $FUZZ_LIBS -o "$bin" ||
	    exit 1
	mkdir -p "$FUZZ_DIR/corpus/$t"
	echo "  FUZZ $t for ${FUZZ_SECONDS}s (log: $FUZZ_DIR/fuzz_$t.log)"
	if "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$FUZZ_DIR/$t-" "$FUZZ_DIR/corpus/$t" \
	    "$top_srcdir/tests/fuzz/corpus/$t" >"$FUZZ_DIR/fuzz_$t.log" 2>&1
	then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$FUZZ_DIR/fuzz_$t.log")
		echo "  ok   $t: ${runs:-?} executions, no crash"
	else
		echo "  FAIL $t: see $FUZZ_DIR/fuzz_$t.log and" \
		    "$FUZZ_DIR/$t-crash-*" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' \
		    "$FUZZ_DIR/fuzz_$t.log" | head -n 5 >&2
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "make fuzz: crashed:$failed" >&2
	exit 1
fi
