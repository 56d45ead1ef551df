#!/usr/bin/env bash
# Runs the whole test suite: installs missing packages, builds with gcc and
# runs every CTest test, then builds with clang under AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the suite again. Exits non-zero on any
# failure. Usage: scripts/test.sh [extra ctest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
JOBS=$(nproc 2>/dev/null || echo 2)
SUPP="$(pwd)/tests/lsan.supp" # leaks inside third-party libraries (see the file)
status=0

echo "== gcc build (RelWithDebInfo) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build -j"$JOBS"
(cd build && ctest --output-on-failure -j"$JOBS" "$@") || status=1

echo "== clang build with ASan+UBSan =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DVG_SANITIZE=ON -DVG_BENCH=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions="$SUPP" \
    ctest --output-on-failure -j"$JOBS" -LE nosan "$@") || status=1

if [ $status -ne 0 ]; then echo "TESTS FAILED"; fi
exit $status
