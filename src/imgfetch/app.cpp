#include "imgfetch/app.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "imgfetch/exit_code.hpp"
#include "imgfetch/files/dir_lock.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/stale_temporaries.hpp"
#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/list/list_total.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/task_source.hpp"
#include "imgfetch/report/report.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/report/run_outputs.hpp"
#include "imgfetch/run/descriptor_limit.hpp"
#include "imgfetch/run/host_gate.hpp"
#include "imgfetch/run/work_queue.hpp"
#include "imgfetch/run/worker_pool.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/curl_share.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/ui/progress.hpp"
#include "imgfetch/util/run_clock.hpp"

namespace imgfetch {

namespace {

// Tasks waiting in the queue per worker: enough that no worker idles while the main thread
// parses, few enough that memory stays flat for a list of any length (put() blocks).
constexpr std::size_t k_queue_slots_per_worker = 4;

// What the run shares between the main thread and the workers.
struct Shared {
    const ListInputs& lists;
    NameRegistry& names;
    ResultSink& sink;
    const DownloadContext& ctx;
    CurlShare& curl_share;
    const std::optional<Shard>& shard; // --shard: emit only this shard's URLs
};

// --sequential: no queue, no pool; the main thread runs the same download routine in order.
void run_sequential(const Shared& run) {
    CurlSession session(&run.curl_share);
    // Host-wide Retry-After backoff only: one transfer at a time, so --per-host is moot.
    HostGate hosts(/*per_host=*/0, /*max_deferred=*/1, run.ctx.stop);
    DownloadContext ctx = run.ctx;
    ctx.hosts = &hosts;
    produce_tasks(
        run.lists, run.names, run.sink,
        [&](Task task) {
            run.sink.expect(task.seq); // results after a gap in the seqs need not wait
            run.sink.add(download_with_retries(session, task, ctx, 0));
            progress_task_done(ctx.progress);
        },
        run.ctx.stop, run.shard, ctx.progress);
    progress_list_read(ctx.progress);
}

// Pool mode: the main thread fills a bounded queue that `jobs` workers drain.
void run_pool(const Shared& run, unsigned jobs, unsigned per_host) {
    WorkQueue<Task> queue(jobs * k_queue_slots_per_worker);
    // --per-host and the host-wide backoff: workers park tasks of a saturated host in the
    // gate (as many as the queue holds) and go on with other hosts' work.
    HostGate hosts(per_host, jobs * k_queue_slots_per_worker, run.ctx.stop);
    DownloadContext ctx = run.ctx; // outlives the pool, like the gate
    ctx.hosts = &hosts;
    CurlShare& curl_share = run.curl_share;
    // Each worker builds its own CurlSession on its own thread and reuses it (keep-alive).
    WorkerPool pool(
        jobs, queue,
        [&ctx, &curl_share](unsigned worker) -> TaskHandler {
            auto session = std::make_shared<CurlSession>(&curl_share);
            return [session, &ctx, worker](const Task& task) {
                TransferResult result = download_with_retries(*session, task, ctx, worker);
                progress_task_done(ctx.progress);
                return result;
            };
        },
        run.sink, &hosts);
    // On interrupt, closing the queue wakes a main thread blocked in put(); the workers then
    // drain what is queued without downloading it (download_with_retries sees the stop).
    const std::stop_callback close_on_stop(ctx.stop, [&queue] { queue.close(); });
    const auto put = [&](Task task) {
        const Task unqueued = task; // for the result if the queue does not take it
        run.sink.expect(task.seq);  // before any worker can add its result
        try {
            queue.put(std::move(task));
        } catch (const QueueClosed&) {
            // Interrupted while this task was being put: it was read, so it is reported.
            run.sink.add(failed_result(unqueued, "interrupted before it started"));
            throw;
        }
    };
    try {
        produce_tasks(run.lists, run.names, run.sink, put, ctx.stop, run.shard, ctx.progress);
    } catch (const QueueClosed&) {
        // Interrupted while the main thread was putting: stop reading the list.
    }
    progress_list_read(ctx.progress);
    queue.join();  // every put has had its task_done
    queue.close(); // workers see the end and exit
    pool.join();
}

} // namespace

int run(const Options& options, std::stop_token stop, StatusLine* console) {
    // 1. Setup that may fail fatally (exit 2 or 3) happens before any download starts.
    ListInputs lists(options.input.lists, stop);
    RunOutputs outputs(
        options.outputs); // --report, --timeline, --failed-list: checked writable now
    const OutputDir dir(options.outputs.output_dir, temporary_owner_tag(options.input.shard));
    const DirLock lock(dir, options.input.shard);       // one run per directory, or one per shard
    remove_stale_temporaries(dir, options.input.shard); // a killed run's, now that none can be live
    if (options.input.shard && options.transfer.content_disposition) {
        spdlog::warn("--content-disposition with --shard: names from Content-Disposition are not "
                     "coordinated between shards; give each shard its own --output directory");
    }
    NameRegistry names;
    // With outputs, every result streams to them in list order; else only the counts stay.
    ResultSink sink = outputs.any() ? ResultSink(outputs) : ResultSink(KeepRecords::none);
    CurlShare curl_share;
    // Room under RLIMIT_NOFILE for every worker's connections and files, or fewer workers.
    const unsigned jobs = fit_workers_to_descriptor_limit(
        options.politeness.sequential ? 1U : options.politeness.jobs);
    const RunInfo started{options.politeness.sequential ? "sequential" : "pool", jobs,
                          iso8601_now(), 0.0};
    const RunClock clock;
    // The live progress bar, when main() set up a console for one; erased before the summary.
    ProgressCounters counters;
    std::optional<ProgressBar> bar;
    std::optional<ListTotal> list_total; // the bar's total, counted ahead on its own thread
    if (console != nullptr) {
        bar.emplace(*console, counters);
        list_total.emplace(lists, options.input.shard, counters, stop);
    }
    const DownloadContext ctx{options.transfer,         dir, clock, stop, &names,
                              bar ? &counters : nullptr};
    const Shared shared{lists, names, sink, ctx, curl_share, options.input.shard};

    // 2. The pipeline: list -> tasks -> (queue -> workers ->) download -> sink.
    if (options.politeness.sequential) {
        run_sequential(shared);
    } else {
        run_pool(shared, jobs, options.politeness.per_host);
    }
    bar.reset();
    sink.finish(); // the outputs get the results still waiting for their turn

    // 3. Report: summary line, JSON report, exit code.
    RunInfo info = started;
    info.seconds = clock.seconds_since_start();
    const Summary summary = sink.summary();
    if (stop.stop_requested()) {
        spdlog::warn("interrupted: completed files were kept, unfinished ones discarded, the "
                     "rest of the list was not read");
    }
    spdlog::info("{}", format_summary_line(summary, info));
    outputs.write(info, summary, stop.stop_requested());
    return to_int(summary.failed == 0 ? ExitCode::ok : ExitCode::some_failed);
}

} // namespace imgfetch
