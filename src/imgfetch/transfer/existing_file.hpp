#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imgfetch/list/task.hpp"

namespace imgfetch {

class OutputDir;

// The extended attribute that keeps a saved file's ETag (for --existing update). It is set on
// the temporary before the rename, so it appears together with the file.
inline constexpr const char* k_etag_attribute = "user.imgfetch.etag";

// ETags longer than this, or with bytes that cannot go into a header line, are neither stored
// nor sent.
inline constexpr std::size_t k_max_etag_bytes = 1024;

// A regular file already at a task's target path in the output directory.
struct ExistingFile {
    std::string name;         // its name in the output directory
    std::int64_t mtime_s = 0; // modification time, seconds since the epoch
};

// Every extension imgfetch appends to a name that needs one, the most common first (the
// order in which find_existing_file() probes them).
std::span<const std::string_view> appended_image_extensions();

// The file a previous run saved for `task`, if there is one: task.file_name, or, when the
// name needs an extension from the response, file_name + "." + each of
// appended_image_extensions() (and the bare name too when `any_type`: a body of unknown type
// keeps it). One fstatat() per candidate, relative to the directory fd, never following a
// symlink; only a regular file counts: a symlink, directory or FIFO there is not "existing".
// Does not read the ETag. Thread-safe (reads only).
std::optional<ExistingFile> find_existing_file(const OutputDir& dir, const Task& task,
                                               bool any_type);

// The ETag stored on `name` in `dir` by an earlier run (attribute k_etag_attribute), or
// nothing: no attribute, a filesystem without user extended attributes, a value that is not a
// valid ETag, or a file that is no longer a regular file. Never throws for OS errors.
std::optional<std::string> read_stored_etag(const OutputDir& dir, const std::string& name);

// Pure: true when `etag` can be stored and sent back in If-None-Match: not empty, at most
// k_max_etag_bytes, visible ASCII or spaces only (no CR/LF, no control bytes).
bool is_storable_etag(std::string_view etag);

// Pure: an HTTP date (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") for seconds
// since the epoch; independent of the locale.
std::string http_date(std::int64_t unix_seconds);

} // namespace imgfetch
