#!/bin/sh
# Builds Open vSwitch 3.1 from Debian's openvswitch-source tarball with
# flowlb's patch series applied.
#
# usage: ovs-build.sh TARBALL PATCHDIR OUTDIR
#
# The build lives in OUTDIR/openvswitch.  It is keyed on the content of the
# tarball, the series, every patch it names, the configure options and this
# script: when OUTDIR/stamp holds the same key the build is up to date and
# nothing happens, whatever the files' times say.  Any change to the key
# rebuilds from a fresh unpack, so a patch removed from the series is really
# gone from the build.
#
# OUTDIR/libs lists the libraries that libopenvswitch.a needs.

set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 TARBALL PATCHDIR OUTDIR" >&2
    exit 2
fi
tarball=$1
patchdir=$2
outdir=$3
series=$patchdir/series
src=$outdir/openvswitch
stamp=$outdir/stamp

fail() {
    echo "ovs-build: $*" >&2
    exit 1
}

[ -r "$tarball" ] || fail "$tarball not found (apt-get install openvswitch-source)"
[ -r "$series" ] || fail "$series not found"

# The patches named by the series, in order; blank lines and '#' comments
# are allowed.
patches=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$series")
npatches=0
for p in $patches; do
    [ -r "$patchdir/$p" ] || fail "$series names $p, which does not exist"
    npatches=$((npatches + 1))
done

# The suffix names the series by its content so that "ovs-vswitchd --version"
# tells exactly which patches a binary carries.
series_hash=$( (cat "$series"; for p in $patches; do cat "$patchdir/$p"; done) \
               | sha256sum | cut -c1-8)
suffix="+flowlb.$npatches.$series_hash"
# --enable-Werror: OVS's own warnings (-Wswitch-enum among them) point at
# every place a new action must be handled, so a patch that misses one does
# not build.
configure_opts="--enable-ssl --disable-libcapng --enable-Werror \
--with-version-suffix=$suffix"

key=$( (sha256sum < "$tarball"; echo "$series_hash"; echo "$configure_opts";
        cat "$0") | sha256sum | cut -c1-64)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
    exit 0
fi

echo "ovs-build: building Open vSwitch $suffix in $src"
rm -rf "$src" "$stamp"
mkdir -p "$outdir"
tar -xzf "$tarball" -C "$outdir"
[ -d "$src" ] || fail "$tarball did not unpack into openvswitch/"

# Keep git from finding an enclosing repository (ours): "git apply" run in
# a subdirectory of a work tree silently skips paths outside it.
GIT_CEILING_DIRECTORIES=$(cd "$outdir" && pwd)
export GIT_CEILING_DIRECTORIES
abs_patchdir=$(cd "$patchdir" && pwd)
for p in $patches; do
    echo "ovs-build: applying $p"
    if ! out=$(cd "$src" && git apply --check "$abs_patchdir/$p" 2>&1); then
        echo "$out" | sed 's/^/ovs-build:   /' >&2
        fail "patch $p does not apply to $(basename "$tarball"); rebase it \
or fix $series"
    fi
    (cd "$src" && git apply "$abs_patchdir/$p")
done

# A patch may touch configure.ac or a Makefile.am, so regenerate the build
# system once after the whole series is in.
(cd "$src" && ./boot.sh >boot.out 2>&1) || {
    tail -n 30 "$src/boot.out" >&2
    fail "boot.sh failed; see $src/boot.out"
}
(cd "$src" && ./configure $configure_opts >configure.out 2>&1) || {
    tail -n 30 "$src/configure.out" >&2
    fail "configure failed; see $src/configure.out"
}
jobs=$(nproc 2>/dev/null || echo 2)
(cd "$src" && make -j"$jobs" >make.out 2>&1) || {
    grep -E 'error|Error' "$src/make.out" | head -n 30 >&2
    fail "make failed; see $src/make.out"
}

# What a program linking libopenvswitch.a needs beside it, as OVS's own
# configure found it.
sed -n 's/^Libs.private://p' "$src/lib/libopenvswitch.pc" > "$outdir/libs"

echo "$key" > "$stamp"
echo "ovs-build: done: $("$src/vswitchd/ovs-vswitchd" --version | head -n 1)"
