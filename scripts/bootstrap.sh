#!/usr/bin/env bash
# Installs the Debian 12 packages Vigil needs to build, test and run.
# Idempotent: only missing packages are installed; needs root (or sudo).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev python3 openssl ca-certificates
  libvectorscan-dev libpcre2-dev libfyaml-dev libjansson-dev libsqlite3-dev sqlite3
  libuv1-dev libmicrohttpd-dev libssl-dev libsodium-dev libevtx-dev libbfio-dev libexpat1-dev
  libcmocka-dev libcjson-dev libyara-dev libpq-dev libnats-dev libsystemd-dev
  libarchive-dev libzstd-dev
)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
