#!/bin/sh
# configure_tmux — configure finds the real tmux even when it runs inside a
# tmux session, whose $TMUX (the server's socket, pid and session) must not
# be taken for the program: then the dashboard tests would have no tmux.
# configure runs in a scratch copy of the few files it reads.
. "$top_srcdir/tests/lib.sh"
[ -x "$top_srcdir/configure" ] || skip_all "no configure script"
command -v tmux >/dev/null 2>&1 || skip_all "tmux not found"
plan 2

mkdir -p "$T/src/src"
cp "$top_srcdir/configure" "$top_srcdir/Makefile.in" "$top_srcdir/config.h.in" "$T/src/" &&
	cp -R "$top_srcdir/build-aux" "$T/src/" &&
	cp "$top_srcdir/src/cutover.c" "$T/src/src/" || exit 1
cd "$T/src" || exit 1
TMUX=/tmp/tmux-0/default,4242,0 ./configure >"$T/configure.out" 2>&1
is "configure succeeds with \$TMUX set" "$?" 0
like "configure's summary names the tmux program, not \$TMUX" \
	"$(grep 'tmux:' "$T/configure.out")" "tmux: +$(command -v tmux)( |$)"
