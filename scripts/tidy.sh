#!/usr/bin/env bash
# Runs clang-tidy 14 with the checks in .clang-tidy on imgfetch's own sources (src/ only; the
# headers there are checked through the sources that include them), using a configured build
# tree's compile_commands.json (CMAKE_EXPORT_COMPILE_COMMANDS is on), two files at a time.
#
#   scripts/tidy.sh [BUILD_DIR]   default: build/release, else the first build/*/ that has one
#
# IMGFETCH_TIDY_JOBS=N runs N files at a time (default 2). Prints each file's findings, then a
# count; exits 1 when any check that .clang-tidy makes an error fired, 0 otherwise (warnings,
# such as readability-function-size, are printed and do not fail).
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "tidy: $*" >&2
    exit 1
}

tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
[[ -n $tidy ]] || die "clang-tidy is missing (Debian package clang-tidy; scripts/install-deps.sh --test)"

build=${1:-}
if [[ -z $build ]]; then
    for candidate in build/release build/*/; do
        if [[ -f ${candidate%/}/compile_commands.json ]]; then
            build=${candidate%/}
            break
        fi
    done
fi
[[ -n $build && -f $build/compile_commands.json ]] ||
    die "no compile_commands.json in '${build:-build/*}': configure a build first (cmake -S . -B build/release)"

# The sources under src/ that the build compiles (CMake writes one "file" line per entry).
src_dir=$PWD/src/
mapfile -t files < <(grep -o '"file": *"[^"]*"' "$build/compile_commands.json" |
    sed 's/^"file": *"//; s/"$//' | grep -F "$src_dir" | sort -u)
((${#files[@]} > 0)) || die "$build/compile_commands.json lists no file under $src_dir"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One clang-tidy per file; its output kept apart so parallel runs do not interleave. The build's
# flags are GCC's: -Wno-unknown-warning-option keeps clang from failing on GCC-only ones such
# as -Wno-restrict.
check_one() {
    local file=$1 log
    log=$out/$(printf '%s' "$file" | tr '/' '_').log
    if "$tidy" -p "$build" --quiet --extra-arg=-Wno-unknown-warning-option "$file" >"$log" 2>&1; then
        echo ok >>"$log.status"
    else
        echo failed >>"$log.status"
    fi
}
export -f check_one
export tidy build out

jobs=${IMGFETCH_TIDY_JOBS:-2}
echo "tidy: $tidy on ${#files[@]} files of $build, $jobs at a time"
start=$SECONDS
printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$jobs" bash -c 'check_one "$1"' _

failed=0
for file in "${files[@]}"; do
    log=$out/$(printf '%s' "$file" | tr '/' '_').log
    # clang-tidy's "N warnings generated" lines count headers it did not report on: noise.
    grep -v '^[0-9]* warnings\? \(and [0-9]* errors\? \)\?generated\.$' "$log" || true
    if [[ $(cat "$log.status" 2>/dev/null) != ok ]]; then
        failed=$((failed + 1))
    fi
done
elapsed=$((SECONDS - start))
if ((failed > 0)); then
    echo "tidy: $failed of ${#files[@]} files have findings that are errors (${elapsed} s)" >&2
    exit 1
fi
echo "tidy: ${#files[@]} files clean of errors (${elapsed} s)"
