#include "imgfetch/transfer/page_fetch.hpp"

#include <exception>
#include <new>

#include "imgfetch/transfer/content_check.hpp"
#include "imgfetch/transfer/easy_options.hpp"
#include "imgfetch/transfer/failure_text.hpp"
#include "imgfetch/transfer/per_transfer.hpp"
#include "imgfetch/transfer/redirect_follow.hpp"

namespace imgfetch {

namespace {

// Bodies of redirects and error responses are read and dropped up to this many bytes.
constexpr std::size_t k_max_dropped_bytes = 1024 * 1024;

// One transfer whose 2xx body goes to memory. Lives on the stack of one call, on the session's
// thread; libcurl calls its callbacks there, with this object as their user pointer.
struct MemoryFetch {
    MemoryFetch(const Task& task, const DownloadContext& ctx, CurlSession& session,
                std::uint64_t limit_, bool stop_at_limit_)
        : transfer(task, ctx, session.handle()), limit(limit_), stop_at_limit(stop_at_limit_) {}

    PerTransfer transfer;
    const std::uint64_t limit;
    const bool stop_at_limit; // a probe: enough bytes end the transfer, they are no failure
    std::string body;
    std::size_t dropped = 0;
    bool over_limit = false; // a page larger than the limit
    bool enough = false;     // a probe that has its bytes

    static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
        auto* self = static_cast<MemoryFetch*>(user);
        const std::size_t total = size * count;
        const long status = self->transfer.response.status();
        if (status < 200 || status > 299) {
            self->dropped += total;
            return self->dropped > k_max_dropped_bytes ? 0 : total;
        }
        const std::uint64_t room = self->limit - self->body.size();
        try {
            if (total > room) {
                self->body.append(data, static_cast<std::size_t>(room));
                (self->stop_at_limit ? self->enough : self->over_limit) = true;
                return 0;
            }
            self->body.append(data, total);
        } catch (const std::bad_alloc&) {
            self->transfer.abort_reason = "out of memory";
            return 0;
        }
        return total;
    }

    static std::size_t on_header(char*, std::size_t size, std::size_t count, void*) {
        return size * count; // the header fields are read from libcurl (ResponseFacts)
    }

    CURLcode perform() {
        set_easy_options(transfer);
        curl_easy_setopt(transfer.easy, CURLOPT_WRITEFUNCTION, &MemoryFetch::on_write);
        curl_easy_setopt(transfer.easy, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(transfer.easy, CURLOPT_HEADERFUNCTION, &MemoryFetch::on_header);
        curl_easy_setopt(transfer.easy, CURLOPT_HEADERDATA, this);
        std::string redirected_to; // final_url() reads libcurl's effective URL instead
        return perform_following_redirects(transfer, redirected_to);
    }

    std::string final_url() const {
        const char* url = nullptr;
        curl_easy_getinfo(transfer.easy, CURLINFO_EFFECTIVE_URL, &url);
        return url != nullptr ? std::string(url) : transfer.task.url;
    }
};

// Why a page fetch ended without a usable page, or "" when it has one.
std::string page_problem(MemoryFetch& fetch, CURLcode code, std::uint64_t max_bytes) {
    if (fetch.over_limit) {
        return "page larger than --max-page-size (" + std::to_string(max_bytes) + " bytes)";
    }
    const long status = fetch.transfer.response.status();
    if (code != CURLE_OK && !(fetch.dropped > k_max_dropped_bytes && status >= 400)) {
        return fetch.transfer.abort_reason.empty() ? failure_text(code, fetch.transfer)
                                                   : fetch.transfer.abort_reason;
    }
    if (status < 200 || status > 299) {
        return "HTTP " + std::to_string(status);
    }
    return {};
}

} // namespace

FetchedPage fetch_page(CurlSession& session, const Task& page, const DownloadContext& ctx,
                       std::uint64_t max_bytes) {
    FetchedPage fetched;
    try {
        MemoryFetch fetch(page, ctx, session, max_bytes, false);
        const CURLcode code = fetch.perform();
        if (const long status = fetch.transfer.response.status(); status != 0) {
            fetched.http_status = status;
        }
        fetched.error = page_problem(fetch, code, max_bytes);
        fetched.final_url = fetch.final_url();
        if (fetched.error.empty()) {
            fetched.body = std::move(fetch.body);
        }
    } catch (const std::exception& e) {
        fetched.error = e.what();
    }
    return fetched;
}

bool probe_is_image(CurlSession& session, const Task& link, const DownloadContext& ctx) {
    try {
        MemoryFetch fetch(link, ctx, session, k_sniff_bytes, true);
        curl_slist* range = curl_slist_append(nullptr, "Range: bytes=0-31");
        if (range == nullptr) {
            return false;
        }
        fetch.transfer.request_headers.reset(range); // on every hop
        const CURLcode code = fetch.perform();
        const long status = fetch.transfer.response.status();
        if ((code != CURLE_OK && !fetch.enough) || status < 200 || status > 299) {
            return false;
        }
        return sniff_image_extension(fetch.body).has_value();
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace imgfetch
