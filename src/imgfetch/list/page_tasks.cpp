#include "imgfetch/list/page_tasks.hpp"

#include <limits>
#include <string>

#include <spdlog/spdlog.h>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/list/task.hpp"
#include "imgfetch/page/nesting_bound.hpp"
#include "imgfetch/page/page_links.hpp"
#include "imgfetch/transfer/curl_session.hpp"
#include "imgfetch/transfer/download.hpp"
#include "imgfetch/transfer/page_fetch.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

PageSource::PageSource(const InputOptions& input, const DownloadContext& ctx, CurlShare& share)
    : m_input(input), m_ctx(ctx), m_session(std::make_unique<CurlSession>(&share)) {}

PageSource::~PageSource() = default;

PageImages PageSource::images_of(const std::string& page_url, std::size_t line) {
    PageImages images;
    Task page;
    page.line = line;
    page.url = page_url;
    const std::uint64_t limit = m_input.max_page_size == 0
                                    ? std::numeric_limits<std::uint64_t>::max()
                                    : m_input.max_page_size;
    FetchedPage fetched = fetch_page(*m_session, page, m_ctx, limit);
    if (!fetched.error.empty()) {
        images.error = std::move(fetched.error);
        return images;
    }
    // gumbo's time grows faster than the square of a page's nesting: a hostile page is refused
    // before it is parsed (nesting_bound.hpp).
    if (nesting_bound(fetched.body) > k_max_page_nesting) {
        images.error = "page nests elements more than " + std::to_string(k_max_page_nesting) +
                       " deep; not parsed (a hostile or broken page)";
        return images;
    }
    std::size_t probed = 0;
    for (PageLink& link : extract_page_links(fetched.body, fetched.final_url)) {
        if (link.needs_probe) {
            if (!m_input.probe_links) {
                continue;
            }
            Task probe;
            probe.line = line;
            probe.url = link.url;
            probe.referer = fetched.final_url;
            ++probed;
            if (!probe_is_image(*m_session, probe, m_ctx)) {
                continue;
            }
        }
        images.urls.push_back(std::move(link.url));
    }
    spdlog::debug("page {}: {} image URLs ({} links probed)",
                  printable(redact_credentials(page_url)), images.urls.size(), probed);
    if (m_ctx.settings.referer.empty()) {
        images.referer = std::move(fetched.final_url);
    }
    return images;
}

} // namespace imgfetch
