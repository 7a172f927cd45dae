#include "imgfetch/app.hpp"

#include <spdlog/spdlog.h>

#include "imgfetch/curl_session.hpp"
#include "imgfetch/download.hpp"
#include "imgfetch/exit_code.hpp"
#include "imgfetch/output_dir.hpp"
#include "imgfetch/report.hpp"
#include "imgfetch/result_sink.hpp"
#include "imgfetch/run_clock.hpp"
#include "imgfetch/task_source.hpp"
#include "imgfetch/work_queue.hpp"
#include "imgfetch/worker_pool.hpp"

namespace imgfetch {

namespace {

// Tasks waiting in the queue per worker: enough that no worker idles while the main thread
// parses, few enough that memory stays flat for a list of any length (put() blocks).
constexpr std::size_t k_queue_slots_per_worker = 4;

DownloadSettings settings_from(const Options& options) {
    return DownloadSettings{options.any_type, options.connect_timeout_s, options.stall_timeout_s};
}

// --sequential: no queue, no pool; the main thread runs the same download_link in list order.
void run_sequential(const ListInputs& lists, const DownloadContext& ctx, ResultSink& sink) {
    CurlSession session;
    produce_tasks(lists, sink, [&](Task task) { sink.add(download_link(session, task, ctx, 0)); });
}

// Pool mode: the main thread fills a bounded queue that `jobs` workers drain.
void run_pool(const ListInputs& lists, const DownloadContext& ctx, ResultSink& sink,
              unsigned jobs) {
    WorkQueue<Task> queue(jobs * k_queue_slots_per_worker);
    // Each worker builds its own CurlSession on its own thread and reuses it (keep-alive).
    WorkerPool pool(
        jobs, queue,
        [&ctx](unsigned worker) -> TaskHandler {
            auto session = std::make_shared<CurlSession>();
            return [session, &ctx, worker](const Task& task) {
                return download_link(*session, task, ctx, worker);
            };
        },
        sink);
    produce_tasks(lists, sink, [&](Task task) { queue.put(std::move(task)); });
    queue.join();  // every put has had its task_done
    queue.close(); // workers see the end and exit
    pool.join();
}

} // namespace

int run(const Options& options) {
    // 1. Setup that may fail fatally (exit 2) happens before any download starts.
    ListInputs lists(options.lists);
    const OutputDir dir(options.output_dir);
    ResultSink sink(/*keep_records=*/!options.report_file.empty());
    const DownloadSettings settings = settings_from(options);
    const RunInfo started{options.sequential ? "sequential" : "pool",
                          options.sequential ? 1U : options.jobs, iso8601_now(), 0.0};
    const RunClock clock;
    const DownloadContext ctx{settings, dir, clock};

    // 2. The pipeline: list -> tasks -> (queue -> workers ->) download_link -> sink.
    if (options.sequential) {
        run_sequential(lists, ctx, sink);
    } else {
        run_pool(lists, ctx, sink, options.jobs);
    }

    // 3. Report: summary line, JSON report, exit code.
    RunInfo info = started;
    info.seconds = clock.seconds_since_start();
    const Summary summary = sink.summary();
    spdlog::info("{}", format_summary_line(summary, info));
    if (!options.report_file.empty()) {
        write_json_report(options.report_file, info, summary, sink.take_records());
    }
    return to_int(summary.failed == 0 ? ExitCode::ok : ExitCode::some_failed);
}

} // namespace imgfetch
