#!/usr/bin/env bash
# Runs docs/scale-out.md's scheduler examples for real on this machine, as written:
#
#   1. Slurm: brings up a one-node Slurm cluster from Debian's packages (munged, slurmctld and
#      slurmd on 127.0.0.1, with a key, a slurm.conf and every state file in a temporary
#      directory), runs the doc's submit commands and its `sbatch --array` script (only the
#      documented /shared/gallery path replaced by a temporary one, imgfetch put on PATH) against
#      a loopback image server, waits for every array task and checks that each ended COMPLETED
#      with exit 0, and that every URL was fetched exactly once into the one shared directory.
#   2. Kubernetes: parses the doc's Indexed Job manifest with PyYAML and asserts the fields the doc
#      promises, then runs its container's command once per completion index, as the pods would
#      (there is no Kubernetes here), and checks the same exactly-once property.
#
# The examples are taken from the doc between `<!-- checked: NAME -->` markers, so the doc stays
# the source of truth: a change that breaks an example there fails this check.
#
#   scripts/slurm_check.sh [IMGFETCH]    IMGFETCH defaults to build/release/imgfetch
#
# Needs root (slurmd runs jobs as their user) and installs its packages through
# scripts/install-deps.sh --slurm, which starts no system service. Starts every process it needs
# as its own child, and stops them all (and removes the temporary directory) on every exit path.
# Ends with one line, "slurm check: PASS ..." or "slurm check: FAIL ...", and exits 0 or 1.
#
# Environment: IMGFETCH_SLURM_IMAGES (URLs in each list, default 240), IMGFETCH_SLURM_TIMEOUT
# (seconds to wait for each daemon, the array job and the pods, default 120), IMGFETCH_SLURM_KEEP=1
# keeps the temporary directory (with every log) for a look afterwards, IMGFETCH_SLURM_DOC=FILE
# takes the examples from FILE instead of docs/scale-out.md (to see a broken example fail).
set -euo pipefail
cd "$(dirname "$0")/.."

images=${IMGFETCH_SLURM_IMAGES:-240}
timeout=${IMGFETCH_SLURM_TIMEOUT:-120}
doc=${IMGFETCH_SLURM_DOC:-docs/scale-out.md}
keep=${IMGFETCH_SLURM_KEEP:-0}
helpers=scripts/slurm_check
imgfetch=${1:-build/release/imgfetch}

tmp=
job_id=
server_pids=()
daemon_pids=()  # munged, slurmctld, slurmd: stopped in reverse order of their start
daemon_names=() # the same order
failure=

fail() {
    failure=$*
    exit 1
}
step() { printf -- '-- %s\n' "$*"; }

# Waits for process PID (our child) to exit after SIGTERM; SIGKILL after 10 s.
stop_process() {
    local pid=$1 tries=0
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((tries++ < 100)); do
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Prints the last lines of every log in the temporary directory: what a failure needs to be read.
show_logs() {
    local log
    for log in "$tmp"/*.out "$tmp"/slurm/*.log "$tmp"/munge/munged.log \
        "$tmp"/shared/gallery/logs/*.out; do
        [[ -f $log && -s $log ]] || continue
        printf '\n---- %s (last 20 lines)\n' "${log#"$tmp"/}" >&2
        tail -n 20 "$log" >&2
    done
}

cleanup() {
    local status=$? i
    trap - EXIT INT TERM
    if [[ -n $job_id ]] && command -v scancel >/dev/null; then
        # A task still running keeps slurmstepd and imgfetch alive past slurmd's own exit.
        scancel "$job_id" 2>/dev/null || true
        for ((i = 0; i < 100; ++i)); do
            [[ -z $(squeue -h -j "$job_id" 2>/dev/null) ]] && break
            sleep 0.1
        done
    fi
    for ((i = ${#daemon_pids[@]} - 1; i >= 0; --i)); do
        stop_process "${daemon_pids[i]}"
    done
    for i in "${server_pids[@]}"; do
        stop_process "$i"
    done
    if ((status != 0)) && [[ -n $tmp ]]; then
        show_logs
    fi
    if [[ -n $tmp && $keep == 1 ]]; then
        echo "slurm check: kept $tmp" >&2
    elif [[ -n $tmp ]]; then
        rm -rf "$tmp"
    fi
    if ((status == 0)); then
        echo "slurm check: PASS (Slurm array job and Kubernetes Indexed Job examples of $doc)"
    else
        echo "slurm check: FAIL: ${failure:-exit status $status}"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

# start_daemon NAME COMMAND...: starts COMMAND in the background, its output in $tmp/NAME.out.
start_daemon() {
    local name=$1
    shift
    "$@" >"$tmp/$name.out" 2>&1 &
    daemon_pids+=($!)
    daemon_names+=("$name")
}

# Polls COMMAND... until it succeeds, for at most $timeout seconds; then fails with WHAT. Fails at
# once when a daemon has exited: none of them should before the end.
wait_for() {
    local what=$1 deadline=$((SECONDS + timeout)) i
    shift
    until "$@" >/dev/null 2>&1; do
        for i in "${!daemon_pids[@]}"; do
            kill -0 "${daemon_pids[i]}" 2>/dev/null ||
                fail "${daemon_names[i]} exited early (its output is above)"
        done
        ((SECONDS < deadline)) || fail "$what within $timeout s"
        sleep 0.2
    done
}

if ! [[ $images =~ ^[0-9]+$ ]] || ((images < 2)); then
    fail "IMGFETCH_SLURM_IMAGES must be an integer >= 2, got '$images'"
fi
if ! [[ $timeout =~ ^[0-9]+$ ]] || ((timeout < 1)); then
    fail "IMGFETCH_SLURM_TIMEOUT must be an integer >= 1, got '$timeout'"
fi
((EUID == 0)) || fail "must run as root, for slurmd (scripts/test.sh: IMGFETCH_SLURM=0 skips this)"
[[ -x $imgfetch ]] || fail "no executable imgfetch at '$imgfetch' (build it first)"
bin_dir=$(cd "$(dirname "$imgfetch")" && pwd)
[[ -x $bin_dir/imgfetch ]] || fail "the executable must be named imgfetch: the doc runs 'imgfetch'"

step "packages"
scripts/install-deps.sh --slurm

# The doc's examples, unchanged.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/imgfetch-slurm.XXXXXX")
# munged refuses a socket under a directory that not everyone may traverse.
chmod 755 "$tmp"
mkdir -p "$tmp/examples"
for name in slurm-submit slurm-script k8s-job; do
    python3 "$helpers/doc_block.py" "$doc" "$name" >"$tmp/examples/$name" ||
        fail "no '$name' example in $doc"
done

# Leave no scheduler variable of a surrounding job to the processes started here.
mapfile -t inherited < <(compgen -v SLURM_ || true)
unset JOB_COMPLETION_INDEX "${inherited[@]}"
export PATH="$bin_dir:$PATH"

# start_server NAME LIST: serves generated images from $tmp/NAME, writing their URLs to LIST and
# logging every request to $tmp/NAME.log. The server prints one line once bound; it is read
# through a fifo with a deadline rather than slept for.
start_server() {
    local name=$1 list=$2 ready='' status=0
    mkfifo "$tmp/$name.out"
    python3 "$helpers/image_server.py" --root "$tmp/$name" --images "$images" --list "$list" \
        --log "$tmp/$name.log" >"$tmp/$name.out" &
    server_pids+=($!)
    exec 3<"$tmp/$name.out"
    IFS= read -r -t 10 ready <&3 || status=$?
    exec 3<&-
    ((status == 0)) || fail "image server $name did not report its port within 10 s"
    [[ $ready =~ ^listening\ on\ http://127\.0\.0\.1:[0-9]+$ ]] ||
        fail "image server $name said '$ready'"
    step "image server $name: $images images, $ready"
}

# --- 1. Slurm ---------------------------------------------------------------------------------
shared=$tmp/shared/gallery # the doc's /shared/gallery
mkdir -p "$shared"
sed "s|/shared/gallery|$shared|g" "$tmp/examples/slurm-script" >"$shared/imgfetch.sbatch"
sed "s|/shared/gallery|$shared|g" "$tmp/examples/slurm-submit" >"$tmp/examples/slurm-submit.sh"

# The array's size, and the CPUs the node needs to run every task at once.
script=$shared/imgfetch.sbatch
array=$(sed -n 's/^#SBATCH --array=\([0-9]*-[0-9]*\)\(%[0-9]*\)\{0,1\}$/\1/p' "$script")
[[ $array =~ ^([0-9]+)-([0-9]+)$ ]] || fail "the doc's script has no '#SBATCH --array=A-B' line"
tasks=$((BASH_REMATCH[2] - BASH_REMATCH[1] + 1))
cpus_per_task=$(sed -n 's/^#SBATCH --cpus-per-task=\([0-9]*\)$/\1/p' "$script")
cpus=$((tasks * ${cpus_per_task:-1}))

start_server slurm-images "$shared/urls.txt"

step "munged"
mkdir -m 700 "$tmp/munge"
mkdir -m 755 "$tmp/run"
head -c 1024 /dev/urandom >"$tmp/munge/munge.key"
chmod 400 "$tmp/munge/munge.key"
munge_socket=$tmp/run/munge.socket
start_daemon munged munged --foreground --socket="$munge_socket" \
    --key-file="$tmp/munge/munge.key" --pid-file="$tmp/run/munged.pid" \
    --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed"
wait_for "munged did not answer" munge --no-input --socket="$munge_socket"

step "slurmctld and slurmd on 127.0.0.1: $cpus CPUs for $tasks tasks of ${cpus_per_task:-1}"
mkdir -p "$tmp/slurm/state" "$tmp/slurm/spool"
: >"$tmp/slurm/plugstack.conf"
read -r ctld_port slurmd_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
host=$(hostname -s)
export SLURM_CONF=$tmp/slurm/slurm.conf
# Nothing outside $tmp: own ports, own munge socket, no accounting, no cgroups (linuxproc and
# task/none work in a container). config_overrides lets the node declare more CPUs than the
# machine has, so every task of the array runs at the same time, as on a real cluster.
cat >"$SLURM_CONF" <<EOF
ClusterName=imgfetchcheck
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$tmp/slurm/state
SlurmdSpoolDir=$tmp/slurm/spool
SlurmctldPidFile=$tmp/slurm/slurmctld.pid
SlurmdPidFile=$tmp/slurm/slurmd.pid
SlurmctldLogFile=$tmp/slurm/slurmctld.log
SlurmdLogFile=$tmp/slurm/slurmd.log
PlugStackConfig=$tmp/slurm/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
start_daemon slurmctld slurmctld -D -f "$SLURM_CONF"
start_daemon slurmd slurmd -D -f "$SLURM_CONF"
node_idle() { [[ $(sinfo -h -n "$host" -o %t 2>/dev/null) == idle ]]; }
wait_for "the node did not come up idle" node_idle
sinfo

step "the doc's submit commands"
sed 's/^/   | /' "$tmp/examples/slurm-submit.sh"
submitted=$(bash -euo pipefail "$tmp/examples/slurm-submit.sh") ||
    fail "the doc's submit commands failed"
echo "$submitted"
[[ $submitted =~ Submitted\ batch\ job\ ([0-9]+) ]] || fail "sbatch printed no job id"
job_id=${BASH_REMATCH[1]}
# Done when squeue answers and lists none of the job's tasks.
job_done() {
    local queued
    queued=$(squeue -h -j "$job_id") && [[ -z $queued ]]
}
started=$SECONDS
wait_for "array job $job_id did not finish" job_done
echo "array job $job_id finished within $((SECONDS - started + 1)) s"

step "every array task"
scontrol show job -o "$job_id" >"$tmp/job.txt"
completed=$(grep -c 'JobState=COMPLETED .*ExitCode=0:0' "$tmp/job.txt" || true)
if ((completed != tasks)); then
    grep -o 'ArrayTaskId=[0-9]*\|JobState=[A-Z_]*\|ExitCode=[0-9:]*' "$tmp/job.txt" |
        paste - - - >&2 || true
    fail "$completed of $tasks array tasks COMPLETED with exit code 0"
fi
logs=$(find "$shared/logs" -type f -name '*.out' | wc -l)
((logs == tasks)) || fail "$logs task output files in logs/, expected $tasks"
echo "$tasks of $tasks tasks COMPLETED, ExitCode=0:0, each with its output file in logs/"
python3 "$helpers/verify_fetched_once.py" --list "$shared/urls.txt" \
    --log "$tmp/slurm-images.log" --root "$tmp/slurm-images" --out "$shared/images" \
    --shards "$tasks" "$shared"/reports/report-*.json ||
    fail "the Slurm array did not fetch every URL exactly once"

# --- 2. Kubernetes ------------------------------------------------------------------------------
step "the doc's Kubernetes Indexed Job"
mkdir -p "$tmp/k8s-data"
start_server k8s-images "$tmp/k8s-data/urls.txt"
python3 "$helpers/k8s_indexed_job.py" "$tmp/examples/k8s-job" --data "$tmp/k8s-data" \
    --timeout "$timeout" || fail "the Kubernetes manifest check failed"
completions=$(python3 -c '
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["spec"]["completions"])' "$tmp/examples/k8s-job")
python3 "$helpers/verify_fetched_once.py" --list "$tmp/k8s-data/urls.txt" \
    --log "$tmp/k8s-images.log" --root "$tmp/k8s-images" --out "$tmp/k8s-data/images" \
    --shards "$completions" "$tmp/k8s-data"/reports/report-*.json ||
    fail "the Indexed Job's pods did not fetch every URL exactly once"
