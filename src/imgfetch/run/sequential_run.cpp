#include "imgfetch/list/task_source.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/run/host_backoff.hpp"
#include "imgfetch/run/run_modes.hpp"
#include "imgfetch/transfer/content_registry.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/ui/progress.hpp"

namespace imgfetch {

void run_sequential(const RunShared& run) {
    CurlSession session(&run.curl_share);
    // Host-wide Retry-After backoff only: one transfer at a time, so --per-host is moot.
    HostBackoff backoff;
    DownloadContext ctx = run.ctx;
    ctx.host_backoff = &backoff;
    // With --checksum sha256: the run's saved files by digest (duplicate_of, --dedupe link);
    // owned here, outliving every transfer; its own mutex guards it.
    ContentRegistry same_content;
    if (ctx.settings.checksum_sha256) {
        ctx.same_content = &same_content;
    }
    produce_tasks(
        run.lists, run.names, run.sink,
        [&](const Task& task) {
            run.sink.expect(task.seq); // results after a gap in the seqs need not wait
            run.sink.add(download_with_retries(session, task, ctx, 0));
            progress_task_done(ctx.progress);
        },
        run.ctx.stop, run.shard, ctx.progress);
    progress_list_read(ctx.progress);
}

} // namespace imgfetch
