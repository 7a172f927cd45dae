#pragma once

// download_with_retries' use of --archive: the look-up before the attempts and the record after
// success. Thread-safety: as DownloadArchive's (every function may run on several workers).

#include <optional>

#include "imgfetch/list/task.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/download_archive.hpp"
#include "imgfetch/transfer/transfer_result.hpp"

namespace imgfetch {

// What the archive says about a task before any request.
struct ArchiveVerdict {
    // --existing skip and the URL archived: its result (skipped, attempts 0, the archived path
    // under DIR, whether or not the file is still there).
    std::optional<TransferResult> skipped;
    // --existing update and the URL archived with an ETag or a Last-Modified: the row, for a
    // conditional request on those validators.
    std::optional<ArchivedFile> revalidate;
};

// Nothing without ctx.archive or under --existing overwrite (fetched again anyway).
ArchiveVerdict consult_archive(const Task& task, const DownloadContext& ctx, unsigned worker);

// An ok result goes into ctx.archive (the row replaced); every other status is left out.
void record_in_archive(const Task& task, const DownloadContext& ctx, const TransferResult& result);

} // namespace imgfetch
