#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/list/task.hpp"
#include "imgfetch/transfer/retry_advice.hpp"
#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/run_clock.hpp"

namespace imgfetch {

struct ArchivedFile;
class CurlSession;
class ContentRegistry;
class CurlShare;
class DownloadArchive;
class FilterMemory;
class HostBackoff;
class NameRegistry;
class OutputDir;
class PlaceholderHashes;
struct ProgressCounters;

// What all downloads of a run share. The references are read-only while workers run, or
// thread-safe themselves (NameRegistry, ContentRegistry, CurlShare, the stop token), so no lock
// is needed here.
struct DownloadContext {
    const TransferOptions& settings; // the command line's transfer group, never copied
    const OutputDir& dir;
    const RunClock& clock;
    std::stop_token stop;                 // requested on SIGINT/SIGTERM: abort, take no new work
    NameRegistry* names = nullptr;        // for --content-disposition names; may be null
    ProgressCounters* progress = nullptr; // live counters for the progress bar; may be null
    HostBackoff* host_backoff = nullptr;  // per-host Retry-After backoff; may be null
    // --reject-hash's digests, loaded before the run and immutable; may be null (none).
    const PlaceholderHashes* placeholders = nullptr;
    // With --checksum sha256: the run's saved files by digest (duplicate_of, --dedupe link),
    // owned by the run mode (run_pool, run_sequential); may be null.
    ContentRegistry* same_content = nullptr;
    FilterMemory* filter_memory = nullptr; // URLs earlier runs filtered (thread-safe); may be null
    DownloadArchive* archive = nullptr;    // --archive: what was fetched (thread-safe); may be null
};

// One attempt's outcome: the result for the report, and what the retry loop needs besides.
struct Attempt {
    TransferResult result;
    RetryAdvice retry;
};

// The one transfer routine, shared by the pool's workers and by --sequential. Downloads
// task.url into a temporary in the output directory and renames it to its final name only
// when the transfer completed with a 2xx status and the body is an image (or any_type).
// Never throws: every failure is a result with status failed and an error text.
// Uses `session` exclusively for the duration of the call (one thread at a time).
// One attempt only (result.attempts is 1, or 0 when --existing skip made no request); the
// advice says whether another attempt may succeed. --existing: see existing_file.hpp.
// `archived` (--existing update of a URL in --archive): the request is conditional on that
// row's ETag and Last-Modified, and a 304 is not_modified with the row's path.
Attempt download_link(CurlSession& session, const Task& task, const DownloadContext& ctx,
                      unsigned worker, const ArchivedFile* archived = nullptr);

// download_link plus the retry policy: transient failures (connection errors, timeouts, HTTP
// 408, 429, 5xx) are retried up to settings.retries times after an exponential backoff with
// jitter, or after the server's Retry-After, capped by retry_max_wait_s. The wait blocks only
// this caller (one worker) and ends early when ctx.stop is requested. result.attempts counts
// every attempt; start is the first attempt's start.
// With ctx.filter_memory, a URL an earlier run with the same filters turned away is filtered
// again with no request (unless --existing overwrite), and a newly filtered one is remembered.
// With ctx.archive, a URL found there is skipped with no request (its path the archived one),
// unless --existing overwrite, or update (a conditional request on the row's validators); an ok
// result is recorded (a failed record is a warning and DownloadArchive::missed()).
// With ctx.host_backoff, every attempt first waits out a backoff of the listed URL's host, and a
// 429 or 503 with Retry-After backs that whole host off (every worker) for that long.
TransferResult download_with_retries(CurlSession& session, const Task& task,
                                     const DownloadContext& ctx, unsigned worker);

} // namespace imgfetch
