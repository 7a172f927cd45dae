#include <algorithm>
#include <memory>
#include <stop_token>

#include "imgfetch/list/task_source.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/run/host_backoff.hpp"
#include "imgfetch/run/host_slots.hpp"
#include "imgfetch/run/run_modes.hpp"
#include "imgfetch/run/work_queue.hpp"
#include "imgfetch/run/worker_pool.hpp"
#include "imgfetch/transfer/content_registry.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/ui/progress.hpp"

namespace imgfetch {

namespace {

// Tasks waiting in the queue per worker: enough that no worker idles while the main thread
// parses, few enough that memory stays flat for a list of any length (put() blocks).
constexpr std::size_t k_queue_slots_per_worker = 4;
// But at least this many, whatever -j: host-affine dispatch (run/scheduler.hpp) looks through
// the queue for a task of a host the worker holds a connection to. Over 32 hosts a queue of 32
// (-j 8, refilled at half) often held none of a worker's few hosts, and the worker then opened
// a connection to yet another host: 79 connections for 2000 files at -j 8, 128 slots bring it
// under 64 (bench hosts-https). 128 tasks are a few tens of KB.
constexpr std::size_t k_min_queue_slots = 128;

// Each worker builds its own CurlSession on its own thread and reuses it (keep-alive).
HandlerFactory download_handlers(const DownloadContext& ctx, CurlShare& curl_share) {
    return [&ctx, &curl_share](unsigned worker) -> TaskHandler {
        auto session = std::make_shared<CurlSession>(&curl_share);
        return [session, &ctx, worker](const Task& task) {
            TransferResult result = download_with_retries(*session, task, ctx, worker);
            progress_task_done(ctx.progress);
            return result;
        };
    };
}

} // namespace

void run_pool(const RunShared& run, unsigned jobs, unsigned per_host) {
    WorkQueue<Task> queue(std::max(jobs * k_queue_slots_per_worker, k_min_queue_slots));
    // Owned here, outliving the pool: the backoff every transfer reads and writes, and the
    // per-host slots the scheduler parks tasks of a saturated host in (as many as the queue
    // holds) while the workers go on with other hosts' work.
    HostBackoff backoff;
    HostSlots slots(per_host, jobs * k_queue_slots_per_worker, backoff, run.ctx.stop);
    DownloadContext ctx = run.ctx;
    ctx.host_backoff = &backoff;
    // With --checksum sha256: the run's saved files by digest (duplicate_of, --dedupe link);
    // owned here, outliving every transfer; its own mutex guards it.
    ContentRegistry same_content;
    if (ctx.settings.checksum_sha256) {
        ctx.same_content = &same_content;
    }
    WorkerPool pool(jobs, queue, download_handlers(ctx, run.curl_share), run.sink, &slots);
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

} // namespace imgfetch
