#!/bin/sh
# Makes a copy of libopenvswitch.a that can be linked beside other
# libraries.
#
# usage: ovs-rename-syms.sh IN.a OUT.a SHARED-LIB...
#
# libopenvswitch has its own JSON code whose global names (json_object,
# json_string, json_array, ...) are jansson's too.  Linked statically next
# to libjansson.so, OVS's definitions would win and jansson's callers, ours
# and jansson's own, would call OVS's functions.  This renames, in every
# member of the archive, each global symbol that one of the SHARED-LIBs
# also defines, from NAME to ovs_NAME, definitions and references alike.

set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 IN.a OUT.a SHARED-LIB..." >&2
    exit 2
fi
in=$1
out=$2
shift 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -g --defined-only "$in" 2>/dev/null | awk 'NF == 3 { print $3 }' \
    | sort -u > "$tmp/ovs"
for lib in "$@"; do
    nm -D --defined-only "$lib" | awk '{ print $3 }' | sed 's/@.*//'
done | sort -u > "$tmp/libs"
comm -12 "$tmp/ovs" "$tmp/libs" | sed 's/.*/& ovs_&/' > "$tmp/renames"

echo "ovs-rename-syms: renaming in $(basename "$out"):" \
     $(cut -d' ' -f1 "$tmp/renames")
objcopy --redefine-syms="$tmp/renames" "$in" "$out.tmp"
mv "$out.tmp" "$out"
