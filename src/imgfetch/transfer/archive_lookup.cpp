#include "imgfetch/transfer/archive_lookup.hpp"

#include "imgfetch/transfer/existing_file.hpp"

namespace imgfetch {

namespace {

// The one parse's normalized URL (the URL as listed when a task has none), credentials out.
std::string archive_key(const Task& task) {
    return DownloadArchive::key_of(task.normalized_url.empty() ? task.url : task.normalized_url);
}

} // namespace

ArchiveVerdict consult_archive(const Task& task, const DownloadContext& ctx, unsigned worker) {
    ArchiveVerdict verdict;
    if (ctx.archive == nullptr || ctx.settings.existing == ExistingPolicy::overwrite) {
        return verdict;
    }
    std::optional<ArchivedFile> row = ctx.archive->lookup(archive_key(task));
    if (!row) {
        return verdict;
    }
    if (ctx.settings.existing == ExistingPolicy::update) {
        // Without validators the archive cannot ask "changed?": update looks at DIR as ever.
        if (!row->etag.empty() || !row->last_modified.empty()) {
            verdict.revalidate = std::move(row);
        }
        return verdict;
    }
    // The same result --existing skip gives a file found in DIR, at the archived path.
    TransferResult result = skipped_result(task, ctx, worker, ExistingFile{row->path, 0});
    result.reason = "in the archive (fetched " + row->fetched + ")";
    verdict.skipped = std::move(result);
    return verdict;
}

void record_in_archive(const Task& task, const DownloadContext& ctx, const TransferResult& result) {
    if (ctx.archive == nullptr || result.status != Status::ok) {
        return;
    }
    ArchivedFile row;
    row.path = result.saved_name;
    row.sha256 = result.sha256.value_or("");
    row.size = result.bytes;
    row.etag = result.etag;
    row.last_modified = result.last_modified;
    ctx.archive->record(archive_key(task), row);
}

} // namespace imgfetch
