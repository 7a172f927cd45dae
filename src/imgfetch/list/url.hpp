#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// The one place outside transfer/ that reads URLs with libcurl's parser (curl_url()). A list
// line's URL is parsed here once; the Task carries what the later stages need of it.
// Pure functions; thread-safe (each call uses its own parser handle).

// What libcurl's parser reads in a URL it accepts.
struct ParsedUrl {
    // Lower-cased, without port or credentials; "" when the URL has none. The key a URL
    // counts against for per-host limits and backoffs.
    std::string host;
    // Raw (still percent-encoded), query and fragment dropped, "." and ".." segments
    // resolved; nothing when libcurl gives no path.
    std::optional<std::string> path;
    // The URL as the shard hash sees it (see normalized_url()).
    std::string normalized;
};

// Nothing when libcurl's parser rejects `url` (spaces, control characters, bad ports,
// malformed IPv6 or percent-encoding in the host, ...). It reads `url` up to a NUL byte.
std::optional<ParsedUrl> parse_url(std::string_view url);

// parse_url(url)->host, "" when the URL does not parse.
std::string host_key(std::string_view url);

// The URL parsed by libcurl and printed back, so case in the scheme and host, a default
// port, a fragment and an empty path ("http://h" vs "http://h/") make no difference; the raw
// text when it does not parse. Shards of one list must run the same imgfetch build: the
// output is libcurl's, pinned by the tests' hash table.
std::string normalized_url(std::string_view url);

} // namespace imgfetch
