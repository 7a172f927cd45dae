#include "imgfetch/app.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "imgfetch/exit_code.hpp"
#include "imgfetch/files/dir_lock.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/files/stale_temporaries.hpp"
#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/list/list_total.hpp"
#include "imgfetch/list/name_template.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/page_tasks.hpp"
#include "imgfetch/list/task_source.hpp"
#include "imgfetch/report/report.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/report/run_outputs.hpp"
#include "imgfetch/run/descriptor_limit.hpp"
#include "imgfetch/run/run_modes.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/cookie_jar.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/curl_share.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/download_archive.hpp"
#include "imgfetch/transfer/filter_memory.hpp"
#include "imgfetch/transfer/netrc_file.hpp"
#include "imgfetch/transfer/placeholder_hashes.hpp"
#include "imgfetch/ui/progress.hpp"
#include "imgfetch/util/run_clock.hpp"

namespace imgfetch {

namespace {

// --reject-hash: read once, immutable while the workers read it. Throws SetupError (exit 2).
PlaceholderHashes load_placeholders(const TransferOptions& transfer) {
    return transfer.reject_hash_file.empty() ? PlaceholderHashes()
                                             : PlaceholderHashes::load(transfer.reject_hash_file);
}

// What earlier runs' filters turned away: only when a filter is set.
std::optional<FilterMemory> open_filter_memory(const Options& options, const OutputDir& dir) {
    std::string fingerprint = filter_fingerprint(options.transfer);
    if (fingerprint.empty()) {
        return std::nullopt;
    }
    return std::optional<FilterMemory>(std::in_place, dir, options.input.shard,
                                       std::move(fingerprint));
}

// --archive: opened after the directory lock, before any download; a database that cannot be
// used is a SetupError (exit 2), never a silent refetch of everything.
std::optional<DownloadArchive> open_archive(const OutputOptions& outputs) {
    if (outputs.archive_file.empty()) {
        return std::nullopt;
    }
    return std::optional<DownloadArchive>(std::in_place, outputs.archive_file);
}

// 3. The run's end: summary line, the outputs written, the exit code.
int finish_run(RunInfo info, const RunClock& clock, const ResultSink& sink, RunOutputs& outputs,
               bool interrupted, std::size_t archive_missed) {
    info.seconds = clock.seconds_since_start();
    const Summary summary = sink.summary();
    if (interrupted) {
        spdlog::warn("interrupted: completed files were kept, unfinished ones discarded, the "
                     "rest of the list was not read");
    }
    spdlog::info("{}", format_summary_line(summary, info));
    outputs.write(info, summary, interrupted);
    if (archive_missed > 0) {
        // Saved but not archived: exit 1, or a cron job would never hear of it.
        spdlog::warn("--archive: {} saved file(s) could not be recorded; the next run fetches "
                     "them again",
                     archive_missed);
    }
    return to_int(summary.failed == 0 && archive_missed == 0 ? ExitCode::ok
                                                             : ExitCode::some_failed);
}

// Once, before any request: what the options risk.
void warn_about_setup(const Options& options) {
    if (options.input.shard && options.transfer.content_disposition) {
        spdlog::warn("--content-disposition with --shard: names from Content-Disposition are not "
                     "coordinated between shards; give each shard its own --output directory");
    }
    warn_if_netrc_readable_by_others(options.transfer);
}

std::optional<NameTemplate> name_template_of(const OutputOptions& outputs) {
    if (outputs.name_template.empty()) {
        return std::nullopt;
    }
    return std::optional<NameTemplate>(std::in_place, outputs.name_template);
}

} // namespace

int run(const Options& options, std::stop_token stop, StatusLine* console) {
    // 1. Setup that may fail fatally (exit 2 or 3) happens before any download starts.
    ListInputs lists(options.input.lists, stop, options.input.list_format);
    // --report, --timeline, --failed-list: checked writable now.
    RunOutputs outputs(options.outputs);
    const PlaceholderHashes placeholders = load_placeholders(options.transfer);
    const OutputDir dir(options.outputs.output_dir, temporary_owner_tag(options.input.shard));
    const DirLock lock(dir, options.input.shard); // one run per directory, or one per shard
    // A killed run's, now that none can be live; --resume keeps the partial downloads.
    remove_stale_temporaries(dir, options.input.shard, options.transfer.resume);
    std::optional<DownloadArchive> archive = open_archive(options.outputs);
    warn_about_setup(options);
    NameRegistry names;
    // With outputs, every result streams to them in list order; else only the counts stay.
    ResultSink sink = outputs.any() ? ResultSink(outputs) : ResultSink(KeepRecords::none);
    CurlShare curl_share;
    // --cookies loaded into the jar every worker shares; --save-cookies checked writable.
    const CookieFiles cookie_files(options.transfer, curl_share);
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
    std::optional<FilterMemory> filter_memory = open_filter_memory(options, dir);
    DownloadContext ctx{options.transfer, dir, clock, stop, &names, bar ? &counters : nullptr};
    ctx.filter_memory = filter_memory ? &*filter_memory : nullptr;
    ctx.archive = archive ? &*archive : nullptr;
    ctx.placeholders = placeholders.empty() ? nullptr : &placeholders;
    // --page and pages lists: each page is fetched on the main thread when its turn comes.
    PageSource page_source(options.input, ctx, curl_share);
    lists.set_pages(options.input.pages, &page_source);
    // --layout url, --name-template (checked by the command line): where files go under DIR.
    const std::optional<NameTemplate> name_template = name_template_of(options.outputs);
    lists.set_name_template(name_template ? &*name_template : nullptr);
    const RunShared shared{lists, names, sink, ctx, curl_share, options.input.shard};

    // 2. The pipeline: list -> tasks -> (queue -> workers ->) download -> sink.
    if (options.politeness.sequential) {
        run_sequential(shared);
    } else {
        run_pool(shared, jobs, options.politeness.per_host);
    }
    bar.reset();
    sink.finish();       // the outputs get the results still waiting for their turn
    cookie_files.save(); // --save-cookies: every transfer has ended, interrupted or not

    return finish_run(started, clock, sink, outputs, stop.stop_requested(),
                      archive ? archive->missed() : 0);
}

} // namespace imgfetch
