#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace imgfetch {

class CurlSession;
class CurlShare;
struct DownloadContext;
struct InputOptions;

// The image URLs one page gave (--page, --input-format pages).
struct PageImages {
    std::vector<std::string> urls; // absolute, in page order, without repeats
    std::string referer; // for each image's request: the page's final URL; "" with --referer
    std::string error;   // why the page gave nothing ("page larger than --max-page-size ...")
};

// Turns pages into image URLs on the main thread: fetches a page (transfer/page_fetch.hpp,
// --max-page-size), extracts its links (page/page_links.hpp) against its final URL and, with
// --probe-links, keeps a plain <a href> only when a ranged GET of it shows an image (one
// request at a time, before any image of the page is queued). Holds its own libcurl session on
// the run's share (cookies, DNS, TLS sessions). Main thread only; not thread-safe.
class PageSource {
public:
    // `input` and `ctx` must outlive this object; `share` too.
    PageSource(const InputOptions& input, const DownloadContext& ctx, CurlShare& share);
    ~PageSource();
    PageSource(const PageSource&) = delete;
    PageSource& operator=(const PageSource&) = delete;

    // The images of the page at `page_url`; `line` is what the page's results report as their
    // line (the --page's position, or the pages list's line). Never throws for a page's failure.
    PageImages images_of(const std::string& page_url, std::size_t line);

private:
    const InputOptions& m_input;
    const DownloadContext& m_ctx;
    std::unique_ptr<CurlSession> m_session;
};

} // namespace imgfetch
