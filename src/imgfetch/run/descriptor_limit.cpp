#include "imgfetch/run/descriptor_limit.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include <spdlog/spdlog.h>

namespace imgfetch {

namespace {

// Descriptors open in this process now (the directory stream's own excluded).
std::uint64_t open_descriptors() {
    DIR* fds = ::opendir("/proc/self/fd");
    if (fds == nullptr) {
        return 16; // no /proc: a guess that covers a run's start-up files
    }
    std::uint64_t count = 0;
    while (const dirent* entry = ::readdir(fds)) {
        if (entry->d_name[0] != '.') {
            ++count;
        }
    }
    ::closedir(fds);
    return count > 0 ? count - 1 : 0;
}

} // namespace

unsigned fit_workers_to_descriptor_limit(unsigned jobs) {
    jobs = std::max(jobs, 1U);
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return jobs; // nothing known, nothing to change
    }
    const std::uint64_t fixed = open_descriptors() + k_descriptor_margin;
    const std::uint64_t needed = fixed + std::uint64_t{jobs} * k_descriptors_per_worker;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        const rlim_t raised = limit.rlim_max == RLIM_INFINITY
                                  ? static_cast<rlim_t>(needed)
                                  : std::min(limit.rlim_max, static_cast<rlim_t>(needed));
        if (raised > limit.rlim_cur) {
            const rlimit wanted{raised, limit.rlim_max};
            if (::setrlimit(RLIMIT_NOFILE, &wanted) == 0) {
                spdlog::debug("open-file limit raised from {} to {} for {} workers", limit.rlim_cur,
                              raised, jobs);
                limit.rlim_cur = raised;
            }
        }
    }
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) {
        return jobs;
    }
    const std::uint64_t room = limit.rlim_cur > fixed ? limit.rlim_cur - fixed : 0;
    const auto fit =
        static_cast<unsigned>(std::clamp<std::uint64_t>(room / k_descriptors_per_worker, 1, jobs));
    const std::string hard =
        limit.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(limit.rlim_max);
    spdlog::warn("the open-file limit ({}, hard limit {}) leaves room for {} worker{}, not {}: "
                 "running with {} (-j {} needs about {} descriptors; see `ulimit -n`)",
                 limit.rlim_cur, hard, fit, fit == 1 ? "" : "s", jobs, fit, jobs, needed);
    return fit;
}

} // namespace imgfetch
