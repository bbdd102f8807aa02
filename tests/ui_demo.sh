#!/bin/sh
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tmux.sh"
skip_all "being written"
