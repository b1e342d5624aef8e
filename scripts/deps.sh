#!/usr/bin/env bash
# Installs the Debian 12 packages sofa needs to build, test and demo, if any is missing.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config clang python3
      libjansson-dev libssl-dev libevent-dev libev-dev libcmocka-dev
      duktape-dev libhttp-parser-dev openssl
      memcached libmemcached-tools libmemcached-dev sasl2-bin libsasl2-dev libsasl2-modules)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "== installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
