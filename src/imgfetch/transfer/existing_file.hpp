#pragma once

// --existing skip|overwrite|update, all of it: what counts as already there, the skip, the
// conditional request of update, its 304 answer, and the file a replacement of another type
// leaves behind. Private to the transfer layer (it names libcurl's curl_slist).
// Thread-safety: every function may run on several workers at once; none keeps state, and
// what they share is the output directory, whose entries the OS keeps consistent.

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imgfetch/list/task.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/transfer_result.hpp"

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

// --existing skip|update: what is already at the task's target path, if it counts; nothing
// under overwrite. With --content-disposition the server's name is known only from a
// response: only the name from the URL (or the list) is looked for. Thread-safe (reads only).
std::optional<ExistingFile> existing_file_for(const Task& task, const DownloadContext& ctx);

// --existing skip found `existing`: the `skipped` result of a task that needs no request
// (attempts 0, its path the existing file's, start == end == now).
TransferResult skipped_result(const Task& task, const DownloadContext& ctx, unsigned worker,
                              const ExistingFile& existing);

// --existing skip: the `skipped` result when a regular file is already at the task's target
// path; nothing otherwise, or under another policy. download_link() looks itself;
// download_with_retries() also looks before waiting out a host's backoff.
std::optional<TransferResult> skip_existing(const Task& task, const DownloadContext& ctx,
                                            unsigned worker);

// A request header list, freed with the list.
struct HeaderListFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, HeaderListFree>;

// Appends `line` ("Name: value") to `list`. Throws std::bad_alloc; `list` then keeps (and
// frees) what it had.
void append_header(HeaderList& list, const char* line);

// --existing update: If-None-Match (the ETag stored on `existing`, when there is a valid one)
// and If-Modified-Since (its modification time). Explicit headers rather than
// CURLOPT_TIMECONDITION: libcurl would also drop a 200 body whose Last-Modified is older than
// the condition, even when the ETag says it changed. Throws std::bad_alloc.
HeaderList conditional_headers(const OutputDir& dir, const ExistingFile& existing);

// The same from known validators (--archive's row): If-None-Match with `etag` and
// If-Modified-Since with the HTTP date `date`, each only when present and safe in a header
// line. Throws std::bad_alloc.
HeaderList validator_headers(const std::optional<std::string>& etag, const std::string& date);

// --existing update: when our conditional request for `existing` was answered 304 ("not
// modified"), makes `result` not_modified with the kept file's path and returns true.
bool keep_unchanged(long http_status, const std::optional<ExistingFile>& existing,
                    const OutputDir& dir, TransferResult& result);

// --existing update replaced "photo.jpg" (`existing`) with a body of another type, saved as
// `final_name` "photo.png": the old file of the same stem goes, or every later run would find
// it first. Nothing to do for another name; a failure to remove it is logged, not thrown.
void remove_replaced_file(const OutputDir& dir, const Task& task,
                          const std::optional<ExistingFile>& existing,
                          const std::string& final_name, const std::string& extension);

} // namespace imgfetch
