#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "imgfetch/list/task.hpp"

namespace imgfetch {

class CurlSession;
struct DownloadContext;

// A web page (--page) as fetched: its bytes in memory and where the redirects ended.
struct FetchedPage {
    std::string body;      // the 2xx body, at most the limit's bytes; empty on failure
    std::string final_url; // the URL the last redirect led to (the base of its relative URLs)
    std::string error;     // why the page cannot be used; empty on success
    std::optional<long> http_status; // the last HTTP status seen
};

// Fetches `page.url` with the same request as an image's (set_easy_options and
// perform_following_redirects: headers, -A, cookies, proxies, credentials for the listed origin
// only, TLS options, --timeout, redirects), but the body goes to memory: at most `max_bytes`
// of it are kept, and a page over that fails ("page larger than --max-page-size (N bytes)")
// rather than being parsed from a prefix. One attempt, no retries. Never throws. Uses `session`
// exclusively (its thread only).
FetchedPage fetch_page(CurlSession& session, const Task& page, const DownloadContext& ctx,
                       std::uint64_t max_bytes);

// --probe-links: a GET of `link.url` with "Range: bytes=0-31" (the transfer ends after 32 body
// bytes whatever the server sends): true when a 2xx body starts as an image
// (content_check.hpp: sniff_image_extension). False for anything else, failures included.
// Never throws; uses `session` exclusively.
bool probe_is_image(CurlSession& session, const Task& link, const DownloadContext& ctx);

} // namespace imgfetch
