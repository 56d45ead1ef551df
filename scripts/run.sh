#!/usr/bin/env bash
# Installs what is missing, builds Vigil, and starts `vigil serve` on its
# embedded default (SQLite in ./data, HTTP and syslog on loopback).
# Extra arguments go to `vigil serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"
exec ./build/vigil serve --data "${VIGIL_DATA:-./data}" "$@"
