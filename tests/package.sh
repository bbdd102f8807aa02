#!/bin/sh
# package — the Debian package builds from a clean copy of the tree with
# `dpkg-buildpackage -us -uc -b`, lintian finds no error in it, and what it
# installs works: unpacked into a scratch root with `dpkg -x`, the binary
# answers --version with the version configure has, both man pages render,
# and the example plan, the bash completion and the README are where
# Debian keeps them.  Its Depends are the runtime libraries the binary
# links, nothing of the build.
#
# The copy is the tree's files as git knows them (tracked, and new ones
# not ignored), so nothing of the developer's own build leaks into it.
# It needs dpkg-buildpackage, debhelper and lintian (.ci/packages has
# them); without them the test does not apply to this machine.
. "$top_srcdir/tests/lib.sh"
command -v dpkg-buildpackage >/dev/null 2>&1 ||
	skip_build "no dpkg-buildpackage (apt-get install dpkg-dev debhelper)"
command -v dh >/dev/null 2>&1 || skip_build "no debhelper"
command -v git >/dev/null 2>&1 || skip_build "no git"
git -C "$top_srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	skip_build "the source is not a git work tree"
plan 14

version=$(sed -n 's/^AC_INIT(\[cutover\], \[\([^]]*\)\].*/\1/p' \
	"$top_srcdir/configure.ac")
changelog=$(sed -n '1s/^cutover (\([^)]*\)).*/\1/p' \
	"$top_srcdir/debian/changelog")
is "debian/changelog's version is configure's" "$changelog" "$version"

src="$T/cutover-$version"
mkdir -p "$src"
(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf -) | tar -xf - -C "$src"
ok "the tree is copied" test -f "$src/debian/rules"

(cd "$src" && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
is "dpkg-buildpackage -us -uc -b" "$rc" 0
[ $rc -eq 0 ] || tail -n 40 "$T/build.log" | sed 's/^/# /'
arch=$(dpkg --print-architecture)
deb="$T/cutover_${version}_$arch.deb"
ok "it makes cutover_${version}_$arch.deb" test -f "$deb"

if command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error --tag-display-limit 0 "$deb" >"$T/lintian" 2>&1
	is "lintian: no errors" "$?" 0
	grep '^E:' "$T/lintian" | sed 's/^/# /'
else
	skip_one "lintian: no errors" "no lintian"
fi

depends=$(dpkg-deb -f "$deb" Depends 2>/dev/null)
like "Depends names the runtime libraries" "$depends" "libcurl4.*libjansson4|libjansson4.*libcurl4"
unlike "... and nothing of the build" "$depends" "-dev|gcc|make|autoconf|debhelper"

root="$T/root"
dpkg -x "$deb" "$root"
is "the installed binary runs" "$("$root/usr/bin/cutover" --version)" \
	"cutover $version"
for page in usr/share/man/man1/cutover.1.gz usr/share/man/man5/cutover.yaml.5.gz; do
	if command -v man >/dev/null 2>&1; then
		out=$(MANWIDTH=80 man -l "$root/$page" 2>"$T/man.err" | head -n 5)
		like "man -l $(basename "$page")" "$out" "NAME|cutover"
	else
		ok "$(basename "$page") is installed" test -s "$root/$page"
	fi
done
ok "the example plan" test -f "$root/usr/share/doc/cutover/examples/cutover.yaml"
ok "the bash completion where bash-completion looks" \
	test -f "$root/usr/share/bash-completion/completions/cutover"
ok "the README" sh -c "ls '$root/usr/share/doc/cutover/' | grep -q '^README'"
ok "the example plan passes check" \
	"$root/usr/bin/cutover" -c "$root/usr/share/doc/cutover/examples/cutover.yaml" check
