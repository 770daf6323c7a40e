#!/bin/sh
# Install the Debian 12 packages sslref needs to build, test and demo. Idempotent; run as root.
# Only missing packages are installed, so a prepared machine pays nothing (lmdb-utils, iproute2 and
# procps give the tests mdb_stat, ss and ps; python3 draws the benchmark chart; python3, curl and
# gnutls-bin are TLS peers in the interop tests; libmemcached-dev and memcached are the session
# cache's memcached tier and its test daemons). tshark (the key-log and export-suite decryption
# tests) is installed without questions: dumpcap is not made setuid.
set -eu
PKGS="build-essential cmake pkg-config libtomcrypt-dev libtommath-dev liblmdb-dev \
libcriterion-dev libnss3-tools openssl valgrind clang libclang-rt-14-dev tshark \
lmdb-utils iproute2 procps python3 curl gnutls-bin libmemcached-dev memcached"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
  fi
  echo "install-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  case " $missing " in
    *" tshark "*)
      echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections ;;
  esac
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
fi
