#!/bin/sh
# Installs the Debian packages flowlb needs to build, test and run its
# sandbox, when any is missing.  Needs root to install; says what is missing
# otherwise.

set -eu

# tcpdump for the IP-in-IP system tests; valgrind (callgrind) for
# bench/odp-actions.sh; python3-scapy as an independent decoder of the
# neighbour discovery packets flowlbd builds; iperf3 for the services'
# system tests.
packages="build-essential autoconf automake libtool pkg-config git
libssl-dev libevent-dev libjansson-dev libcunit1-dev openvswitch-source
python3 python3-scapy curl jq iproute2 ethtool iputils-ping procps tcpdump
valgrind iperf3"

missing=
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: run as root, or install these packages first" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
