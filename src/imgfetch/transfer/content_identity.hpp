#pragma once

// The commit step's decisions by a body's bytes (its SHA-256), issue 14 parts 4 and 5:
// placeholders (--reject-hash) and same bytes as an earlier file of the run (duplicate_of,
// --dedupe link). Called by download.cpp's commit() on the transfer's thread.

#include <cstdint>
#include <optional>
#include <string>

namespace imgfetch {

class AtomicFile;
struct DownloadContext;
struct TransferResult;

// True, with `result` made `filtered` (reason "placeholder"), when `digest` is one of
// --reject-hash's (ctx.placeholders). The caller then saves nothing: the temporary goes.
bool reject_placeholder(const DownloadContext& ctx, const std::optional<std::string>& digest,
                        TransferResult& result);

// Puts the body in `file` (`bytes` long) under `final_name`. Without a registry
// (ctx.same_content: --checksum sha256) or a digest, that is file.commit(final_name). With one:
// - --dedupe link and an earlier file with the same digest: `final_name` becomes a hard link
//   to that file (linkat in the output directory, never following a symlink; the temporary is
//   left for its owner to remove). When linking fails (EXDEV, EMLINK, the earlier file gone or
//   changed size...), the copy is saved instead and the reason logged at debug level.
// - otherwise the copy is committed and registered; when an earlier file had the digest,
//   result.same_content_as names it.
// Throws std::system_error as AtomicFile::commit.
void save_by_content(const DownloadContext& ctx, AtomicFile& file, const std::string& final_name,
                     const std::optional<std::string>& digest, std::uint64_t bytes,
                     TransferResult& result);

} // namespace imgfetch
