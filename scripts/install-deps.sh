#!/bin/sh
# Install the Debian 12 packages sslref needs to build, test and demo. Idempotent; run as root.
# Only missing packages are installed, so a prepared machine pays nothing (lmdb-utils, iproute2 and
# procps give the tests mdb_stat, ss and ps; python3 draws the benchmark chart; python3, curl and
# gnutls-bin are TLS peers in the interop tests; libmemcached-dev and memcached are the session
# cache's memcached tier and its test daemons). tshark (the key-log and export-suite decryption
# tests) is installed without questions: dumpcap is not made setuid. nginx is a peer of the
# benchmark only (tests/bench/compare-nginx runs its own instances from a private configuration):
# its package's system service is neither started by the installation nor left enabled, so
# nothing listens on port 80 because of it.
set -eu
PKGS="build-essential cmake pkg-config libtomcrypt-dev libtommath-dev liblmdb-dev \
libcriterion-dev libnss3-tools openssl valgrind clang libclang-rt-14-dev tshark \
lmdb-utils iproute2 procps python3 curl gnutls-bin libmemcached-dev memcached nginx"
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
  # No service starts during the installation (nginx's would take port 80): a policy-rc.d that
  # denies every start, unless the machine has one already (containers usually do).
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
  fi
  rc=0
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing || rc=$?
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || exit $rc
  case " $missing " in
    *" nginx "*)
      if [ -d /run/systemd/system ]; then
        systemctl disable --now nginx >/dev/null 2>&1 || true
      else
        update-rc.d nginx disable >/dev/null 2>&1 || true
      fi ;;
  esac
fi
