#!/usr/bin/env bash
# The benchmark: imgfetch against aria2c, wget2, curl and wget on a local nginx, end to end.
# Installs what it needs (apt), builds imgfetch (Release, build/bench), generates the corpus on
# /dev/shm, starts nginx on 127.0.0.1 (and on 127.0.0.2 .. 127.0.0.32 for the many-hosts workloads),
# runs every tool, verifies every file, writes RESULTS.md, results.csv and results.svg, and stops
# everything it started. See bench/README.md.
#
#   bench/run.sh                    full run, 3 repetitions (about 13 minutes + many hosts), in bench/
#   bench/run.sh --quick            smoke run: 1 repetition, no slow sequential runs (~2.5 minutes)
#   bench/run.sh --only small,rss   only these workloads (small, delay, slow, large, hosts-https,
#                                   hosts-http, rss)
#   bench/run.sh --reps 5           more repetitions
#   IMGFETCH=build/x/imgfetch bench/run.sh --quick    use that binary, skip the build
#
# Options: --reps N, --quick, --only LIST, --imgfetch PATH (same as IMGFETCH=PATH), --out DIR
# (default: bench/ for a full run, build/bench-results/ for --quick or --only), --no-install.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

die() {
    echo "bench: $*" >&2
    exit 1
}
step() { printf '\n==== %s ====\n' "$*"; }

reps=
quick=0
only=
out=
install=1
imgfetch=${IMGFETCH:-}
command_line="bench/run.sh${*:+ $*}"
[[ -n ${IMGFETCH:-} ]] && command_line="IMGFETCH=$IMGFETCH $command_line"

while (($#)); do
    case $1 in
    --reps) reps=${2:-}; shift ;;
    --reps=*) reps=${1#*=} ;;
    --quick) quick=1 ;;
    --only) only=${2:-}; shift ;;
    --only=*) only=${1#*=} ;;
    --imgfetch) imgfetch=${2:-}; shift ;;
    --imgfetch=*) imgfetch=${1#*=} ;;
    --out) out=${2:-}; shift ;;
    --out=*) out=${1#*=} ;;
    --no-install) install=0 ;;
    -h | --help)
        sed -n '2,17s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *) die "unknown argument '$1' (try --help)" ;;
    esac
    shift
done

if [[ -z $reps ]]; then
    reps=$((quick ? 1 : 3))
fi
if ! [[ $reps =~ ^[0-9]+$ ]] || ((reps < 1)); then
    die "--reps must be a positive integer, got '$reps'"
fi
if [[ -z $out ]]; then
    if ((quick)) || [[ -n $only ]]; then
        out=$root/build/bench-results
    else
        out=$root/bench
    fi
fi

# ---- dependencies --------------------------------------------------------------------------
if ((install)); then
    step "dependencies"
    # Build dependencies plus the benchmark's tools, each installed only when missing.
    scripts/install-deps.sh --bench
fi
for tool in nginx aria2c wget2 wget curl wrk sha256sum xargs openssl; do
    command -v "$tool" >/dev/null || die "$tool is missing (run without --no-install)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"
[[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ]] || die "nginx's echo module is missing (libnginx-mod-http-echo)"
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3) || die "python3 is missing"

# ---- imgfetch ------------------------------------------------------------------------------
if [[ -z $imgfetch ]]; then
    step "build (Release, build/bench)"
    cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DIMGFETCH_BUILD_TESTS=OFF \
        -DIMGFETCH_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build build/bench -j"$(nproc)" --target imgfetch
    imgfetch=$root/build/bench/imgfetch
fi
[[ -x $imgfetch ]] || die "imgfetch binary '$imgfetch' is not executable"
imgfetch=$(realpath "$imgfetch")

# ---- run -----------------------------------------------------------------------------------
# Corpus (~620 MB), one run's output (up to 256 MB) and the 1,000,000-URL list with its log.
need_kib=$((1600 * 1024))
avail_kib=$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')
((avail_kib >= need_kib)) || die "/dev/shm has $((avail_kib / 1024)) MiB free, the benchmark needs $((need_kib / 1024)) MiB"

work=$(mktemp -d /dev/shm/imgfetch-bench.XXXXXX)
driver_pid=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $driver_pid ]] && kill -0 "$driver_pid" 2>/dev/null; then
        kill -TERM "$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
    fi
    # The driver stops nginx itself; this catches a driver that died before it could.
    if [[ -f $work/nginx/nginx.pid ]]; then
        local pid
        pid=$(cat "$work/nginx/nginx.pid" 2>/dev/null || true)
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "benchmark ($reps repetition(s)$( ((quick)) && echo ', quick'); imgfetch: $imgfetch)"
# In the background, so that a signal to this script runs the trap at once instead of after the
# driver finishes; the trap hands the signal on to the driver, which stops its run and nginx.
driver_args=(--work "$work" --imgfetch "$imgfetch" --reps "$reps" --out "$out"
    --keep-logs "$root/build/bench-logs" --command "$command_line")
rm -rf "$root/build/bench-logs"
[[ -n $only ]] && driver_args+=(--only "$only")
((quick)) && driver_args+=(--quick)
"$python" -B bench/bench.py "${driver_args[@]}" &
driver_pid=$!
wait "$driver_pid"
