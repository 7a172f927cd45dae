#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "imgfetch/run/host_backoff.hpp"
#include "imgfetch/transfer/archive_lookup.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/existing_file.hpp"
#include "imgfetch/transfer/filter_memory.hpp"
#include "imgfetch/transfer/retry_policy.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// The result of a task stopped by an interrupt before its attempt number `attempt`.
TransferResult interrupted_result(const Task& task, unsigned worker, unsigned attempt,
                                  std::optional<double> first_start) {
    TransferResult result =
        failed_result(task, attempt == 1 ? "interrupted before it started" : "interrupted");
    result.worker = worker;
    result.attempts = attempt - 1;
    result.start = first_start;
    return result;
}

// Waits before the attempt after `attempt` (the backoff, or the server's Retry-After), and
// says so. Returns false, with the result's error amended, when interrupted meanwhile.
bool wait_to_retry(TransferResult& result, const RetryAdvice& advice, unsigned attempt,
                   const DownloadContext& ctx) {
    // Jitter source per thread: no shared state between workers.
    thread_local std::mt19937 generator{std::random_device{}()};
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    const TransferOptions& settings = ctx.settings;
    const double delay = retry_delay_seconds(attempt, advice.retry_after_s, settings.retry_delay_s,
                                             settings.retry_max_wait_s, jitter(generator));
    spdlog::warn("{}: {}; retry {}/{} in {:.1f} s", printable(result.url), printable(result.error),
                 attempt, settings.retries, delay);
    if (!wait_unless_stopped(ctx.stop, delay)) {
        result.error += " (interrupted while waiting to retry)";
        return false;
    }
    return true;
}

// The key a URL is remembered under: the one parse's normalized form (the URL as listed when a
// task has none).
const std::string& memory_key(const Task& task) {
    return task.normalized_url.empty() ? task.url : task.normalized_url;
}

// A URL an earlier run with the same filters turned away: filtered again, with no request.
TransferResult remembered_filtered(const Task& task, const DownloadContext& ctx, unsigned worker,
                                   const std::string& reason) {
    TransferResult result = result_for(task, worker);
    result.status = Status::filtered;
    result.reason = "filtered in an earlier run: " + reason;
    result.start = ctx.clock.seconds_since_start();
    result.end = result.start;
    return result;
}

TransferResult attempts_with_retries(CurlSession& session, const Task& task,
                                     const DownloadContext& ctx, unsigned worker,
                                     const ArchivedFile* archived) {
    const TransferOptions& settings = ctx.settings;
    // The listed URL's host (parsed once, by the list reader): a backoff it asks for (even
    // after a redirect) applies to it.
    const auto host = [&task]() -> const std::string& { return task.host; };
    const auto backoffs_possible = [&ctx] {
        return ctx.host_backoff != nullptr && ctx.host_backoff->has_backoffs();
    };
    std::optional<double> first_start;
    unsigned connections = 0; // over all attempts, for the report's summary
    unsigned tls_handshakes = 0;
    if (backoffs_possible() && ctx.host_backoff->backed_off(host())) {
        // A file that is already there needs no request, so no wait for its host either.
        // Looked for only when there is a wait to spare: download_link() looks anyway, and
        // each look is a stat per probed name.
        if (auto skipped = skip_existing(task, ctx, worker)) {
            return *skipped;
        }
    }
    for (unsigned attempt = 1;; ++attempt) {
        if (backoffs_possible()) {
            // No attempt while the host asked every worker to wait; ends early on stop.
            ctx.host_backoff->wait_out_backoff(host(), ctx.stop);
        }
        if (ctx.stop.stop_requested()) {
            return interrupted_result(task, worker, attempt, first_start);
        }
        Attempt outcome = download_link(session, task, ctx, worker, archived);
        TransferResult& result = outcome.result;
        const RetryAdvice& advice = outcome.retry;
        if (!first_start) {
            first_start = result.start;
        }
        result.start = first_start;
        connections += result.connections;
        tls_handshakes += result.tls_handshakes;
        result.connections = connections;
        result.tls_handshakes = tls_handshakes;
        result.attempts = result.status == Status::skipped ? 0 : attempt; // skipped: no request
        if (ctx.host_backoff != nullptr && advice.retry_after_s && result.http_status &&
            (*result.http_status == 429 || *result.http_status == 503)) {
            // "Too many requests" / "unavailable" with a Retry-After: the whole host waits,
            // whether or not this URL is retried.
            const double pause = std::clamp(*advice.retry_after_s, 0.0, settings.retry_max_wait_s);
            ctx.host_backoff->back_off(host(), pause);
            spdlog::info("{}: HTTP {} with Retry-After: no request to {} for {:.1f} s",
                         printable(result.url), *result.http_status, printable(host()), pause);
        }
        if (result.status == Status::ok || !advice.retryable || attempt > settings.retries ||
            !wait_to_retry(result, advice, attempt, ctx)) {
            return std::move(result);
        }
    }
}

} // namespace

TransferResult download_with_retries(CurlSession& session, const Task& task,
                                     const DownloadContext& ctx, unsigned worker) {
    ArchiveVerdict archived = consult_archive(task, ctx, worker);
    if (archived.skipped) {
        return std::move(*archived.skipped);
    }
    FilterMemory* const memory = ctx.filter_memory;
    if (memory != nullptr && ctx.settings.existing != ExistingPolicy::overwrite) {
        if (std::optional<std::string> reason = memory->recall(memory_key(task))) {
            return remembered_filtered(task, ctx, worker, *reason);
        }
    }
    TransferResult result = attempts_with_retries(
        session, task, ctx, worker, archived.revalidate ? &*archived.revalidate : nullptr);
    if (memory != nullptr && result.status == Status::filtered) {
        memory->remember(memory_key(task), result.reason);
    }
    record_in_archive(task, ctx, result);
    return result;
}

} // namespace imgfetch
