#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace imgfetch {

// One download to do: what the main thread decided, handed to exactly one worker.
struct Task {
    std::size_t seq = 0;  // position among all list lines that produced a result (report order)
    std::size_t line = 0; // 1-based line in its list file
    std::string url;
    std::string file_name;        // reserved, unique in this run
    bool needs_extension = false; // append an image extension from the response
    // From the one parse of `url` (list/url.hpp), so no later stage parses it again:
    std::string host{};           // ParsedUrl::host: what per-host slots and backoffs count against
    std::string normalized_url{}; // ParsedUrl::normalized: what the shard hash reads
    // From a list with columns (--input-format csv|tsv|jsonl): this line's own request
    // details. Empty = none given.
    std::string referer{};              // overrides --referer for this URL
    std::vector<std::string> headers{}; // "Name: value"; after --header's, so a same name wins
    std::string expected_sha256{};      // lowercase hex; a mismatch fails the URL, nothing saved
    // An image found on a web page (--page): that page's URL, credentials redacted; else empty.
    std::string page{};
};

} // namespace imgfetch
