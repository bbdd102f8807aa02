#!/bin/sh
# secret_wipe — secrets are wiped through one helper (xwipe, xfree_secret in
# src/xmalloc.c), never by a memset before free (a dead store the optimiser
# removes), a hand-written volatile loop, or explicit_bzero called directly.
. "$top_srcdir/tests/lib.sh"
plan 3
cd "$top_srcdir" || exit 1

hits=$(grep -n 'explicit_bzero' src/*.c src/drivers/*.c ui/*.c widgets/*.c | grep -v '^src/xmalloc\.c:')
is "explicit_bzero only in src/xmalloc.c" "$hits" ""

hits=$(grep -nE 'volatile (unsigned )?char *\*' src/*.c src/drivers/*.c ui/*.c widgets/*.c | grep -v '^src/xmalloc\.c:')
is "no hand-written volatile wipe loops" "$hits" ""

# A memset to zero of something named like a secret, outside xmalloc.c.
hits=$(grep -nE 'memset\([^,]*(tok|token|key|secret|passw|pwd|cred|line|buf)[^,]*, *0' \
	src/*.c src/drivers/*.c | grep -v '^src/xmalloc\.c:')
is "no memset wipes of secrets" "$hits" ""
