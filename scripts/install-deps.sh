#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build imgfetch, its tests and its demo server.
#
#   scripts/install-deps.sh           build, test and demo dependencies
#   scripts/install-deps.sh --test    also the tools scripts/test.sh and .ci/run use (clang-format,
#                                     clang-tidy, git, clang and libFuzzer, time, GNU parallel
#                                     for the shard tests, nginx and apache2 for the HTTP/2
#                                     tests, squid and tinyproxy for the proxy tests, dante-server
#                                     for the SOCKS5 tests)
#   scripts/install-deps.sh --bench   also what bench/run.sh compares and measures with (nginx with
#                                     the echo module, aria2, wget2, wget, curl, wrk, python3, and
#                                     openssl for the many-hosts workloads' bench-time CA)
#   scripts/install-deps.sh --slurm   also what scripts/slurm_check.sh runs: Slurm's controller,
#                                     node daemon and client, MUNGE, python3 and PyYAML
#
# When every package is already installed, apt is not touched at all, so reruns are fast and work
# offline. Uses sudo when not run as root; DEBIAN_FRONTEND defaults to noninteractive.
set -euo pipefail

die() {
    echo "install-deps: $*" >&2
    exit 1
}

packages=(
    build-essential cmake pkg-config
    libcurl4-openssl-dev libcli11-dev libspdlog-dev nlohmann-json3-dev
    libgtest-dev libcpp-httplib-dev zlib1g-dev libssl-dev libbrotli-dev libzstd-dev libexpat1-dev libgumbo-dev
    libsqlite3-dev
)

for arg in "$@"; do
    case $arg in
    --test)
        packages+=(clang-format clang-tidy git clang libclang-rt-14-dev time parallel nginx-light
            apache2-bin squid tinyproxy-bin dante-server)
        ;;
    --bench)
        packages+=(nginx libnginx-mod-http-echo aria2 wget2 wget curl wrk python3 time coreutils
            findutils openssl)
        ;;
    --slurm) packages+=(slurmctld slurmd slurm-client munge python3 python3-yaml) ;;
    -h | --help)
        sed -n '2,14s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *) die "unknown argument '$arg' (try --help)" ;;
    esac
done

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ $status != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi

export DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-noninteractive}
as_root=()
if ((EUID != 0)); then
    command -v sudo >/dev/null || die "not root and sudo is missing; install as root: ${missing[*]}"
    # sudo resets the environment, so hand DEBIAN_FRONTEND over explicitly.
    as_root=(sudo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND")
fi

# nginx's postinst starts a system nginx on port 80, squid's a system squid on port 3128,
# dante-server's a system danted (which fails without an interface configured), munge's
# a system munged, slurmctld's and slurmd's the Slurm daemons (apache2-bin and tinyproxy-bin bring
# no service). The tests never use them (they start their own, on free ports and with their own
# configuration), and where no init runs (a CI container) /etc/init.d/* may start a stray daemon
# or fail, and fail apt-get with it. Unless a policy-rc.d already decides, one that forbids every
# service start (as Docker images do) is in place while apt runs.
policy=/usr/sbin/policy-rc.d
if [[ " ${missing[*]} " =~ \ (nginx|squid|dante-server|munge|slurmctld|slurmd) && ! -e $policy ]]; then
    echo "install-deps: service starts forbidden while apt runs (temporary $policy)"
    "${as_root[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy"
    trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi

echo "install-deps: installing ${missing[*]}"
# Another apt run (a second install-deps, unattended-upgrades) may hold dpkg's lock: wait for it
# rather than fail at once.
lock_wait=(-o DPkg::Lock::Timeout=300)
"${as_root[@]}" apt-get "${lock_wait[@]}" update
"${as_root[@]}" apt-get "${lock_wait[@]}" install -y --no-install-recommends "${missing[@]}"
