#!/bin/sh
# Regenerate the build system: ./autogen.sh && ./configure && make
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
# The TAP driver is not installed by --add-missing; take automake's own.
am_dir=$(automake --print-libdir)
cp -f "$am_dir/tap-driver.sh" build-aux/tap-driver.sh
