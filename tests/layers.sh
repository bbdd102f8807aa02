#!/bin/sh
# layers — the include rules of STYLE.md, checked so they cannot rot:
# src/ (and src/drivers/) never includes curses, widgets/ or ui/; widgets/ includes nothing
# from src/ but xmalloc.h and nothing from ui/; config.h only in .c files.
# src/main.c is the binary's glue (not part of libcutover): it alone
# joins cli.h and ui.h.  ui/ sees the session through its read-only view
# (session_view.h): it neither includes nor calls the sources, the driver,
# the processes or the store, the panes never see the session itself, and
# nothing in ui/ writes a session field.
. "$top_srcdir/tests/lib.sh"
plan 9
cd "$top_srcdir" || exit 1

src_widgets=$(ls widgets/*.h | sed 's|widgets/||')
src_ui=$(ls ui/*.h | sed 's|ui/||')

bad=$(grep -nE '#include *[<"](n?curses|ncursesw/|term\.h)' src/*.c src/*.h src/drivers/*.c src/drivers/*.h)
is "src/ does not include curses" "$bad" ""

bad=""
for h in $src_widgets $src_ui; do
	hit=$(grep -n "#include \"$h\"" src/*.c src/*.h src/drivers/*.c src/drivers/*.h | grep -v '^src/main\.c:')
	[ -n "$hit" ] && bad="$bad$hit "
done
is "src/ does not include widgets/ or ui/ headers" "$bad" ""

bad=""
for h in $(ls src/*.h src/drivers/*.h | sed 's|.*/||'); do
	[ "$h" = xmalloc.h ] && continue
	hit=$(grep -n "#include \"$h\"" widgets/*.c widgets/*.h)
	[ -n "$hit" ] && bad="$bad$hit "
done
is "widgets/ includes nothing from src/ but xmalloc.h" "$bad" ""

bad=""
for h in $src_ui; do
	hit=$(grep -n "#include \"$h\"" widgets/*.c widgets/*.h)
	[ -n "$hit" ] && bad="$bad$hit "
done
is "widgets/ does not include ui/ headers" "$bad" ""

bad=$(grep -ln '#include "config.h"' src/*.h src/drivers/*.h widgets/*.h ui/*.h)
is "config.h only in .c files" "$bad" ""

bad=""
for h in kube.h kubeconfig.h driver.h proc.h prom.h http.h demo.h store.h \
    audit.h; do
	hit=$(grep -n "#include \"$h\"" ui/*.c ui/*.h)
	[ -n "$hit" ] && bad="$bad$hit "
done
is "ui/ does not include the sources, the driver, proc or the store" \
    "$bad" ""

bad=$(grep -nE '\<(kube|kubeconfig|driver|proc|prom|http|demo|store|audit)_[a-z_]+ *\(' \
    ui/*.c ui/*.h)
is "ui/ calls no source, driver, proc or store function" "$bad" ""

bad=$(grep -nE '\<u->s\>' ui/pane_*.c)
is "panes draw from the session's view, not the session" "$bad" ""

bad=$(grep -nE '\<s->[a-z_]+(\.[a-z_]+)* *([-+*/|&^]?=[^=]|\+\+|--)' ui/*.c)
is "ui/ writes no session field" "$bad" ""
