#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/list/task.hpp"

namespace imgfetch {

// filtered: skipped by an image filter (--min-width, --types, --reject-hash...) after some or all
// of its body was read; `reason` says which. It counts as success in the exit code.
enum class Status { ok, failed, skipped, not_modified, duplicate, filtered };

std::string_view to_string(Status status);

struct TransferResult;

// A failed result for the list entry `seq` (line `line`) of `url`, with the URL's credentials
// redacted: the one way every layer reports a task that did not (or could not) run. The
// unredacted URL is kept in source_url for --failed-list.
TransferResult failed_result(std::size_t seq, std::size_t line, const std::string& url,
                             std::string error);

// The same for a task: also keeps its reserved file name, so --failed-list can run it again
// under the same name.
TransferResult failed_result(const Task& task, std::string error);

// Pure: the start of every result of `task` run by `worker`: its seq, line, URL (redacted, and as
// listed in source_url), reserved name and the worker; status failed until a step says more.
TransferResult result_for(const Task& task, unsigned worker);

// The outcome of one list line: a value, never an exception.
struct TransferResult {
    std::size_t seq = 0;
    std::size_t line = 0;
    std::string url;
    std::string path; // DIR joined with the final name; empty when none
    Status status = Status::failed;
    std::optional<long> http_status; // last HTTP status seen
    std::string http_version;        // of that response: "1.0", "1.1", "2", "3"; empty if none
    std::uint64_t bytes = 0;         // body bytes written to the final file
    std::uint64_t received = 0;      // body bytes received (a filtered or failed body's too)
    std::uint64_t resumed_from = 0;  // --resume: bytes already on disk a 206 continued; 0 = none
    unsigned attempts = 0;
    unsigned connections = 0;       // new connections its attempts opened (CURLINFO_NUM_CONNECTS)
    unsigned tls_handshakes = 0;    // those of them for an https URL (full or resumed)
    std::optional<unsigned> worker; // worker index (0 in sequential mode)
    std::optional<double> start;    // seconds since the run started
    std::optional<double> end;
    std::string error;                       // empty when none
    std::optional<std::size_t> duplicate_of; // seq of the first occurrence
    std::optional<std::string> sha256;       // hex digest of the saved file (--checksum sha256)
    // What the image check read from the headers (issue 14): format is format_name()'s text
    // ("png"...), empty when the body's format is not one imgfetch checks; width/height/frames
    // 0 when unknown.
    std::string format;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::uint32_t frames = 0;
    std::string reason;          // why a result is filtered ("width 120 < --min-width 200")
    std::string effective_url;   // the URL the last redirect led to (redacted); empty when none
    std::string same_content_as; // path of an earlier file of this run with identical bytes
    std::string page; // the page (--page) this image was found on, redacted; empty for list lines

    // For --failed-list only (not reported): the list line to run again.
    std::string source_url; // the URL as listed, credentials included
    std::string file_name;  // the name reserved for it (a stem when it needed an extension)

    // For --archive only (not reported): an ok result's final name under DIR and the
    // response's validators ("" when none; last_modified as an HTTP date).
    std::string saved_name;
    std::string etag;
    std::string last_modified;
};

} // namespace imgfetch
