#include "imgfetch/app.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "imgfetch/curl_session.hpp"
#include "imgfetch/curl_share.hpp"
#include "imgfetch/dir_lock.hpp"
#include "imgfetch/download.hpp"
#include "imgfetch/exit_code.hpp"
#include "imgfetch/naming.hpp"
#include "imgfetch/output_dir.hpp"
#include "imgfetch/report.hpp"
#include "imgfetch/result_sink.hpp"
#include "imgfetch/run_clock.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/task_source.hpp"
#include "imgfetch/work_queue.hpp"
#include "imgfetch/worker_pool.hpp"

namespace imgfetch {

namespace {

// Tasks waiting in the queue per worker: enough that no worker idles while the main thread
// parses, few enough that memory stays flat for a list of any length (put() blocks).
constexpr std::size_t k_queue_slots_per_worker = 4;

DownloadSettings settings_from(const Options& options) {
    DownloadSettings settings;
    settings.any_type = options.any_type;
    settings.connect_timeout_s = options.connect_timeout_s;
    settings.stall_timeout_s = options.stall_timeout_s;
    settings.timeout_s = options.timeout_s;
    settings.max_size = options.max_size;
    settings.cacert = options.cacert;
    settings.insecure = options.insecure;
    settings.content_disposition = options.content_disposition;
    settings.retries = options.retries;
    settings.retry_delay_s = options.retry_delay_s;
    settings.retry_max_wait_s = options.retry_max_wait_s;
    settings.existing = options.existing;
    settings.checksum_sha256 = options.checksum_sha256;
    settings.limit_rate = options.limit_rate;
    return settings;
}

// Fails now, before any download, if the report could not be written at the end.
void check_report_writable(const std::string& path) {
    if (path.empty()) {
        return;
    }
    const std::string probe = path + ".part";
    std::ofstream out(probe, std::ios::binary | std::ios::trunc);
    if (!out) {
        throw SetupError("cannot write report '" + path + "': " + std::strerror(errno));
    }
    out.close();
    std::remove(probe.c_str());
}

// What the run shares between the main thread and the workers.
struct Shared {
    const ListInputs& lists;
    NameRegistry& names;
    ResultSink& sink;
    const DownloadContext& ctx;
    CurlShare& curl_share;
};

// --sequential: no queue, no pool; the main thread runs the same download routine in order.
void run_sequential(const Shared& run) {
    CurlSession session(&run.curl_share);
    produce_tasks(
        run.lists, run.names, run.sink,
        [&](Task task) { run.sink.add(download_with_retries(session, task, run.ctx, 0)); },
        run.ctx.stop);
}

// Pool mode: the main thread fills a bounded queue that `jobs` workers drain.
void run_pool(const Shared& run, unsigned jobs) {
    WorkQueue<Task> queue(jobs * k_queue_slots_per_worker);
    const DownloadContext& ctx = run.ctx;
    CurlShare& curl_share = run.curl_share;
    // Each worker builds its own CurlSession on its own thread and reuses it (keep-alive).
    WorkerPool pool(
        jobs, queue,
        [&ctx, &curl_share](unsigned worker) -> TaskHandler {
            auto session = std::make_shared<CurlSession>(&curl_share);
            return [session, &ctx, worker](const Task& task) {
                return download_with_retries(*session, task, ctx, worker);
            };
        },
        run.sink);
    // On interrupt, closing the queue wakes a main thread blocked in put(); the workers then
    // drain what is queued without downloading it (download_with_retries sees the stop).
    const std::stop_callback close_on_stop(ctx.stop, [&queue] { queue.close(); });
    const auto put = [&](Task task) {
        const std::size_t seq = task.seq;
        const std::size_t line = task.line;
        const std::string url = task.url;
        try {
            queue.put(std::move(task));
        } catch (const QueueClosed&) {
            // Interrupted while this task was being put: it was read, so it is reported.
            run.sink.add(failed_result(seq, line, url, "interrupted before it started"));
            throw;
        }
    };
    try {
        produce_tasks(run.lists, run.names, run.sink, put, ctx.stop);
    } catch (const QueueClosed&) {
        // Interrupted while the main thread was putting: stop reading the list.
    }
    queue.join();  // every put has had its task_done
    queue.close(); // workers see the end and exit
    pool.join();
}

} // namespace

int run(const Options& options, std::stop_token stop) {
    // 1. Setup that may fail fatally (exit 2 or 3) happens before any download starts.
    ListInputs lists(options.lists, stop);
    check_report_writable(options.report_file);
    const OutputDir dir(options.output_dir);
    const DirLock lock(dir); // one run per directory
    NameRegistry names;
    ResultSink sink(/*keep_records=*/!options.report_file.empty());
    CurlShare curl_share;
    const DownloadSettings settings = settings_from(options);
    const RunInfo started{options.sequential ? "sequential" : "pool",
                          options.sequential ? 1U : options.jobs, iso8601_now(), 0.0};
    const RunClock clock;
    const DownloadContext ctx{settings, dir, clock, stop, &names};
    const Shared shared{lists, names, sink, ctx, curl_share};

    // 2. The pipeline: list -> tasks -> (queue -> workers ->) download -> sink.
    if (options.sequential) {
        run_sequential(shared);
    } else {
        run_pool(shared, options.jobs);
    }

    // 3. Report: summary line, JSON report, exit code.
    RunInfo info = started;
    info.seconds = clock.seconds_since_start();
    const Summary summary = sink.summary();
    if (stop.stop_requested()) {
        spdlog::warn("interrupted: completed files were kept, unfinished ones discarded, the "
                     "rest of the list was not read");
    }
    spdlog::info("{}", format_summary_line(summary, info));
    if (!options.report_file.empty()) {
        write_json_report(options.report_file, info, summary, sink.take_records());
    }
    return to_int(summary.failed == 0 ? ExitCode::ok : ExitCode::some_failed);
}

} // namespace imgfetch
