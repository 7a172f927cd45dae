#!/usr/bin/env bash
# The demo: installs the dependencies, builds, starts build/demo_server on 127.0.0.1, downloads its
# images once with --sequential and once with -j N, checks both copies are identical and prints
# both timings and the speed-up. Exits non-zero if any step fails.
# Both runs also draw their --timeline: build/demo/timeline-sequential.svg and
# build/demo/timeline-pool.svg. The demo modifies no tracked file: the README's pictures in docs/
# are regenerated only on purpose, with DEMO_TIMELINE_DIR=docs.
#
# Environment: DEMO_IMAGES (default 40), DEMO_LATENCY_MS (default 100), DEMO_JOBS (default 8),
# DEMO_TIMELINE_DIR (default build/demo), DEMO_BUILD_DIR (default build: the build tree to build
# imgfetch and demo_server in; CI points it at scripts/test.sh's Release tree, already built).
set -euo pipefail
cd "$(dirname "$0")/.."

images=${DEMO_IMAGES:-40}
latency_ms=${DEMO_LATENCY_MS:-100}
jobs=${DEMO_JOBS:-8}
timeline_dir=${DEMO_TIMELINE_DIR:-build/demo}
build_dir=${DEMO_BUILD_DIR:-build}

die() {
    echo "demo: $*" >&2
    exit 1
}
step() { printf '\n==== %s ====\n' "$*"; }

for pair in "DEMO_IMAGES=$images" "DEMO_LATENCY_MS=$latency_ms" "DEMO_JOBS=$jobs"; do
    [[ ${pair#*=} =~ ^[0-9]+$ ]] || die "${pair%%=*} must be a non-negative integer, got '${pair#*=}'"
done
((images >= 1)) || die "DEMO_IMAGES must be at least 1"
((jobs >= 1)) || die "DEMO_JOBS must be at least 1"

step "dependencies"
scripts/install-deps.sh

step "build"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DIMGFETCH_BUILD_EXAMPLES=ON >/dev/null
# Only what the demo runs; scripts/test.sh builds and runs the tests.
cmake --build "$build_dir" -j"$(nproc)" --target imgfetch demo_server

tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfetch-demo.XXXXXX")
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "server: $images images, ${latency_ms} ms latency each"
# The server prints one line once it is bound and the URL list is written; read it through a
# fifo with a deadline instead of sleeping and hoping.
mkfifo "$tmp/server.out"
"$build_dir/demo_server" --port 0 --images "$images" --latency-ms "$latency_ms" \
    --list "$tmp/urls.txt" >"$tmp/server.out" &
server_pid=$!
exec 3<"$tmp/server.out"
ready=
read_status=0
IFS= read -r -t 10 ready <&3 || read_status=$?
if ((read_status > 128)); then
    die "demo_server did not report a port within 10 s"
elif ((read_status != 0)); then
    # End of file: the server closed its stdout, so it has exited or is about to.
    status=0
    wait "$server_pid" || status=$?
    server_pid=
    die "demo_server exited (status $status) before it reported a port"
fi
exec 3<&-
[[ $ready =~ ^listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]] ||
    die "unexpected demo_server output: '$ready'"
port=${BASH_REMATCH[1]}
echo "$ready"
[[ $(wc -l <"$tmp/urls.txt") -eq $images ]] || die "URL list does not have $images lines"

# Seconds a run took: the "seconds" field of its JSON report when python3 can read it, else the
# wall time measured around the whole process.
elapsed() {
    local report=$1 start=$2 end=$3 seconds=
    if command -v python3 >/dev/null; then
        seconds=$(python3 -c 'import json, sys; print("%.3f" % json.load(open(sys.argv[1]))["seconds"])' \
            "$report" 2>/dev/null) || seconds=
    fi
    if [[ -z $seconds ]]; then
        seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
    fi
    echo "$seconds"
}

# run_imgfetch NAME ARGS... downloads the list into $tmp/NAME and prints the seconds it took.
run_imgfetch() {
    local name=$1 start end
    shift
    start=$(date +%s.%N)
    "$build_dir/imgfetch" "$tmp/urls.txt" "$@" -o "$tmp/$name" --report "$tmp/$name.json" >&2 ||
        die "imgfetch $* failed (exit $?)"
    end=$(date +%s.%N)
    elapsed "$tmp/$name.json" "$start" "$end"
}

mkdir -p "$timeline_dir"
step "imgfetch --sequential"
seq_seconds=$(run_imgfetch seq --sequential --timeline "$timeline_dir/timeline-sequential.svg")
step "imgfetch -j $jobs"
pool_seconds=$(run_imgfetch pool -j "$jobs" --timeline "$timeline_dir/timeline-pool.svg")

step "verify"
for dir in seq pool; do
    count=$(find "$tmp/$dir" -mindepth 1 -maxdepth 1 -type f ! -name .imgfetch.lock | wc -l)
    ((count == images)) || die "$dir/ holds $count files, expected $images"
done
for file in "$tmp"/seq/*; do
    name=${file##*/}
    [[ -f $tmp/pool/$name ]] || die "pool/ lacks $name"
    cmp -s "$file" "$tmp/pool/$name" || die "seq/$name and pool/$name differ"
done
echo "both runs saved the same $images files, byte for byte (server on port $port)"

step "result: $images images, ${latency_ms} ms latency each"
awk -v s="$seq_seconds" -v p="$pool_seconds" -v j="$jobs" 'BEGIN {
    printf "%-14s %8.2f s\n", "--sequential", s
    printf "%-14s %8.2f s\n", "-j " j, p
    if (p > 0) { printf "%-14s %8.1fx\n", "speed-up", s / p }
}'
echo "timelines: $timeline_dir/timeline-sequential.svg $timeline_dir/timeline-pool.svg"
