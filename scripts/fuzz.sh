#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) in build/fuzz and runs each
# for SECONDS (default 20) on a copy of its seed corpus in fuzz/corpus/<target>/, with the
# dictionary fuzz/<target>.dict; the repository's corpus is never written to. Exits non-zero if
# any target crashes, leaks, times out (10 s per input) or fails an invariant; the input that did
# it is kept in build/fuzz/artifacts/.
#
#   scripts/fuzz.sh [SECONDS]      (FUZZ_SEED=N picks the random seed; default 1, reproducible)
#
# Needs clang 14 and its libFuzzer runtime (Debian 12: packages clang and libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "fuzz: $*" >&2
    exit 2
}
section() { printf '\n==== %s ====\n' "$*"; }

seconds=${1:-20}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((10#$seconds < 1)); then
    die "SECONDS must be a positive integer, got '$seconds'"
fi
seconds=$((10#$seconds))

command -v clang++ >/dev/null || die "clang++ not found (Debian 12: apt-get install clang libclang-rt-14-dev)"

targets=(fuzz_csv_reader fuzz_list_line fuzz_name_from_url fuzz_sniff fuzz_image_check
    fuzz_page_links fuzz_name_template)
build=build/fuzz
artifacts=$build/artifacts
logs=$build/logs

section "build ($(clang++ --version | head -n 1))"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DIMGFETCH_BUILD_FUZZERS=ON -DIMGFETCH_BUILD_TESTS=OFF -DIMGFETCH_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/imgfetch-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts" "$logs"

export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1 ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1 ${UBSAN_OPTIONS:-}"

# One target's run: its log in $logs, its one-line summary in $work/<target>.line, its exit
# status in $work/<target>.status. Targets run nproc at a time (each fuzzes on one core).
fuzz_one() {
    local target=$1 corpus=$work/$1 log=$logs/$1.log status=0
    mkdir -p "$corpus"
    cp fuzz/corpus/"$target"/* "$corpus"/
    # The copy comes first: libFuzzer writes the inputs it finds into the first corpus dir.
    # A fixed seed (FUZZ_SEED, default 1) keeps CI runs reproducible; set another to explore.
    local options=(-max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -max_len=4096 -timeout=10
        -print_final_stats=1 -artifact_prefix="$artifacts/$target-")
    if [[ -f fuzz/$target.dict ]]; then
        options+=(-dict="fuzz/$target.dict")
    fi
    "$build/fuzz/$target" "$corpus" "${options[@]}" >"$log" 2>&1 || status=$?
    local execs per_second coverage
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    echo "$target: exit $status, ${execs:-?} execs (${per_second:-?}/s), ${coverage:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) files" >"$work/$target.line"
    echo "$status" >"$work/$target.status"
}

section "${#targets[@]} targets, ${seconds} s each, $(nproc) at a time"
running=0
for target in "${targets[@]}"; do
    if ((running >= $(nproc))); then
        wait -n || true
        running=$((running - 1))
    fi
    fuzz_one "$target" &
    running=$((running + 1))
done
wait || true

failed=()
summary=()
for target in "${targets[@]}"; do
    line=$(cat "$work/$target.line" 2>/dev/null || echo "$target: did not finish")
    summary+=("$line")
    if [[ $(cat "$work/$target.status" 2>/dev/null) != 0 ]]; then
        failed+=("$target")
        echo "$line"
        grep -E 'ERROR|invariant failed|SUMMARY|Test unit written|^ *#[0-9]+ ' "$logs/$target.log" | head -n 40 || true
        echo "full log: $logs/$target.log"
    fi
done

section "summary"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} != 0)); then
    echo "fuzz: FAILED: ${failed[*]} (inputs in $artifacts/, logs in $logs/)" >&2
    exit 1
fi
echo "fuzz: no crash in ${#targets[@]} targets"
