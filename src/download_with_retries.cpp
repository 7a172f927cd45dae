#include <spdlog/spdlog.h>

#include <random>

#include "imgfetch/download.hpp"
#include "imgfetch/retry_policy.hpp"
#include "imgfetch/text_escape.hpp"

namespace imgfetch {

TransferResult download_with_retries(CurlSession& session, const Task& task,
                                     const DownloadContext& ctx, unsigned worker) {
    const DownloadSettings& settings = ctx.settings;
    // Jitter source per thread: no shared state between workers.
    thread_local std::mt19937 generator{std::random_device{}()};
    std::uniform_real_distribution<double> jitter(0.0, 1.0);

    std::optional<double> first_start;
    for (unsigned attempt = 1;; ++attempt) {
        if (ctx.stop.stop_requested()) {
            TransferResult result =
                failed_result(task.seq, task.line, task.url,
                              attempt == 1 ? "interrupted before it started" : "interrupted");
            result.worker = worker;
            result.attempts = attempt - 1;
            result.start = first_start;
            return result;
        }
        TransferResult result = download_link(session, task, ctx, worker);
        if (!first_start) {
            first_start = result.start;
        }
        result.start = first_start;
        result.attempts = attempt;
        if (result.status == Status::ok || !result.retryable || attempt > settings.retries) {
            return result;
        }
        const double delay =
            retry_delay_seconds(attempt, result.retry_after_s, settings.retry_delay_s,
                                settings.retry_max_wait_s, jitter(generator));
        spdlog::warn("{}: {}; retry {}/{} in {:.1f} s", printable(result.url),
                     printable(result.error), attempt, settings.retries, delay);
        if (!wait_unless_stopped(ctx.stop, delay)) {
            result.error += " (interrupted while waiting to retry)";
            return result;
        }
    }
}

} // namespace imgfetch
