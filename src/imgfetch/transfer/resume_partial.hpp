#pragma once

// --resume, the transfer's side: which stable temporary a URL has, what a kept partial lets the
// next request ask, and what a response allows to keep. The file's side (the stable name, the
// lock) is files/atomic_file.hpp's. Private to the transfer layer (it names ResponseFacts).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/transfer/existing_file.hpp"

namespace imgfetch {

class ResponseFacts;
struct Task;

// The extended attribute that keeps, on a partial download, the validator its bytes came with
// (what If-Range sends back). It is set before the first byte of a body is written, so a
// killed run leaves it with the bytes; it is removed again before the file is committed.
inline constexpr const char* k_resume_attribute = "user.imgfetch.resume";

// The stable temporary name of `task`'s URL: from the first 16 hex digits of the SHA-256 of
// its normalized URL (credentials included: another user's file is another file; the digest
// does not show them).
std::string resume_name_for(const Task& task);

// Where a kept partial lets the next request start: `offset` bytes are on disk, and they came
// with `validator` (a strong ETag or a Last-Modified date, as sent).
struct ResumePoint {
    std::uint64_t offset = 0;
    std::string validator;
};

// The resume point of `partial`: its size and its stored validator; nothing when it is empty or
// has no valid validator (then it is started again from its first byte). Throws
// std::system_error for an OS error.
std::optional<ResumePoint> resume_point_of(const AtomicFile& partial);

// What a response offers a later If-Range (RFC 9110 13.1.5): its ETag when strong; else, when
// it has no ETag at all, its Last-Modified as sent, if that is a strong validator (the response's
// Date at least a second after it, 8.8.2.2). Nothing when neither is usable or the body is
// encoded (a range of an encoded body is not a range of the saved bytes).
struct ValidatorFields {
    std::string_view etag;
    std::string_view last_modified;          // as sent
    std::optional<std::int64_t> modified_at; // the same, parsed
    std::optional<std::int64_t> date;        // the response's Date, parsed
    std::string_view content_encoding;
};
std::optional<std::string> if_range_validator(const ValidatorFields& fields); // pure

// The same, read from `response`.
std::optional<std::string> if_range_validator(const ResponseFacts& response);

// A satisfied Content-Range: bytes first..last of a representation of `complete` bytes.
struct ContentRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t complete = 0;
};

// Pure: a Content-Range value ("bytes 100-199/200"); nothing for an unsatisfied range ("bytes
// */200"), an unknown complete length ("bytes 100-199/*": the rest cannot be known to end the
// file), a last position at or past the complete length, or anything malformed.
std::optional<ContentRange> content_range_of(std::string_view value);

// `point`'s request headers: "Range: bytes=OFFSET-" and "If-Range: VALIDATOR", appended to
// `headers` (sent on every hop, like --existing update's conditions). Throws std::bad_alloc.
void add_resume_headers(HeaderList& headers, const ResumePoint& point);

// What one transfer knows of its partial download (owned by its PerTransfer).
struct ResumeState {
    std::unique_ptr<AtomicFile> partial; // the locked stable temporary; null without --resume
    std::uint64_t offset = 0;            // bytes on disk the request asked to continue from
    std::string validator;               // what those bytes came with (sent in If-Range)
    bool keepable = false;               // the partial's bytes and stored validator belong together
    std::uint64_t resumed_from = 0;      // a 206 continued this many bytes (0: from the start)
};

} // namespace imgfetch
