#!/usr/bin/env bash
# Installs what the tests need, builds, and runs the whole test suite three times:
# a normal build, under ThreadSanitizer, and under AddressSanitizer+UndefinedBehaviorSanitizer;
# then runs each libFuzzer target for a bounded time, then docs/scale-out.md's Slurm array script on
# a one-node Slurm started for it (scripts/slurm_check.sh, as root). Also checks formatting.
# IMGFETCH_SANITIZERS=0 runs the normal build only; IMGFETCH_FUZZ_SECONDS=N (default 20, 0 = skip)
# sets the fuzzing time per target; IMGFETCH_SLURM=0 skips the Slurm stage.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1 ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1 ${UBSAN_OPTIONS:-}"

section() { printf '\n==== %s ====\n' "$*"; }

section "formatting (clang-format)"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
echo "formatting ok"

suite() {
    local name=$1
    shift
    section "build and test: $name"
    cmake -S . -B "build/$name" -DIMGFETCH_WERROR=ON "$@" >/dev/null
    cmake --build "build/$name" -j"$jobs"
    ctest --test-dir "build/$name" -j"$jobs" --timeout 300
}

# Release (-O3), as a user builds it: every target, tests included, must build free of warnings
# (GCC 12's -O3 warnings among them).
# The test sources compile eight to a translation unit (IMGFETCH_UNITY_TESTS, tests/CMakeLists.txt),
# which halves their compile time in each tree.
suite release -DCMAKE_BUILD_TYPE=Release -DIMGFETCH_UNITY_TESTS=ON
if [ "${IMGFETCH_SANITIZERS:-1}" != 0 ]; then
    # -O1 (ThreadSanitizer's documentation asks for -O1 or higher): a third less compile time
    # than RelWithDebInfo's -O2.
    suite tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -DNDEBUG" \
        -DIMGFETCH_SANITIZE=thread -DIMGFETCH_BUILD_EXAMPLES=OFF -DIMGFETCH_UNITY_TESTS=ON
    suite asan-ubsan -DCMAKE_BUILD_TYPE=Debug -DIMGFETCH_SANITIZE=address,undefined \
        -DIMGFETCH_BUILD_EXAMPLES=OFF -DIMGFETCH_UNITY_TESTS=ON
fi
if [ "${IMGFETCH_FUZZ_SECONDS:-20}" != 0 ]; then
    section "fuzzing (libFuzzer, ASan+UBSan), ${IMGFETCH_FUZZ_SECONDS:-20} s per target"
    scripts/fuzz.sh "${IMGFETCH_FUZZ_SECONDS:-20}"
fi
if [ "${IMGFETCH_SLURM:-1}" != 0 ]; then
    section "scale-out examples on a real Slurm and as Kubernetes pods (scripts/slurm_check.sh)"
    scripts/slurm_check.sh build/release/imgfetch
fi
section "all test suites passed"
