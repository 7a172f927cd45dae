#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/list/task.hpp"
#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/run_clock.hpp"

namespace imgfetch {

class CurlSession;
class CurlShare;
class HostBackoff;
class NameRegistry;
class OutputDir;
struct ProgressCounters;

// How every download of a run behaves.
struct DownloadSettings {
    bool any_type = false; // keep bodies that are not images
    long connect_timeout_s = 10;
    long stall_timeout_s = 30;  // fail when no byte arrives for this long
    double timeout_s = 0;       // whole attempt; 0 = none
    std::uint64_t max_size = 0; // bytes; 0 = no limit
    std::string cacert;         // empty = system CA store
    bool insecure = false;
    bool content_disposition = false;
    unsigned retries = 0;
    double retry_delay_s = 1;
    double retry_max_wait_s = 60;
    ExistingPolicy existing = ExistingPolicy::overwrite; // the command line's default is skip
    bool checksum_sha256 = false;                        // hash each saved file while it streams
    std::uint64_t limit_rate = 0; // bytes per second per transfer; 0 = no limit
};

// What all downloads of a run share. The references are read-only while workers run, or
// thread-safe themselves (NameRegistry, CurlShare, the stop token), so no lock is needed here.
struct DownloadContext {
    const DownloadSettings& settings;
    const OutputDir& dir;
    const RunClock& clock;
    std::stop_token stop;                 // requested on SIGINT/SIGTERM: abort, take no new work
    NameRegistry* names = nullptr;        // for --content-disposition names; may be null
    ProgressCounters* progress = nullptr; // live counters for the progress bar; may be null
    HostBackoff* host_backoff = nullptr;  // per-host Retry-After backoff; may be null
};

// The one transfer routine, shared by the pool's workers and by --sequential. Downloads
// task.url into a temporary in the output directory and renames it to its final name only
// when the transfer completed with a 2xx status and the body is an image (or any_type).
// Never throws: every failure is a TransferResult with status failed and an error text.
// Uses `session` exclusively for the duration of the call.
// One attempt only; result.retryable and result.retry_after_s feed the retry policy.
TransferResult download_link(CurlSession& session, const Task& task, const DownloadContext& ctx,
                             unsigned worker);

// --existing skip: the `skipped` result (no request made) when a regular file is already at
// the task's target path; nothing otherwise, or under another policy. download_link() checks
// it first; download_with_retries() also before waiting out a host's backoff.
std::optional<TransferResult> skip_existing(const Task& task, const DownloadContext& ctx,
                                            unsigned worker);

// download_link plus the retry policy: transient failures (connection errors, timeouts, HTTP
// 408, 429, 5xx) are retried up to settings.retries times after an exponential backoff with
// jitter, or after the server's Retry-After, capped by retry_max_wait_s. The wait blocks only
// this caller (one worker) and ends early when ctx.stop is requested. result.attempts counts
// every attempt; start is the first attempt's start.
// With ctx.host_backoff, every attempt first waits out a backoff of the listed URL's host, and a
// 429 or 503 with Retry-After backs that whole host off (every worker) for that long.
TransferResult download_with_retries(CurlSession& session, const Task& task,
                                     const DownloadContext& ctx, unsigned worker);

} // namespace imgfetch
