#!/usr/bin/env bash
# The NEON kernels on an x86-64 machine: cross-compiles the native test program for aarch64
# (plain CMake builds only that target, never the Node addon) and runs it under qemu-user,
# on the NEON path and with CONVKIT_ISA=scalar.
# Needs aarch64-linux-gnu-g++ and qemu-aarch64 (Debian: g++-aarch64-linux-gnu qemu-user).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CONVKIT_NEON_BUILD:-build-neon}

cmake -S . -B "$build" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j 2 --target convkit_native_test

run() {
  local want=$1 out
  shift
  out=$("$@" qemu-aarch64 -L /usr/aarch64-linux-gnu "$build/convkit_native_test")
  printf '%s\n' "$out"
  # the path that ran is the one asked for (not a silent fallback)
  grep -q "isa $want," <<< "$out" || { echo "test-neon: expected isa $want" >&2; return 1; }
}
run neon env
run scalar env CONVKIT_ISA=scalar
