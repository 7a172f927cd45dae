#include "imgfetch/transfer/redirect_follow.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include "imgfetch/transfer/per_transfer.hpp"
#include "imgfetch/transfer/request_headers.hpp"

namespace imgfetch {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int k_max_redirects = 10; // what CURLOPT_MAXREDIRS was when libcurl followed them

// The header list of one hop: --existing update's conditions always (they are about our file,
// not secrets); the user's headers only for the listed origin.
HeaderList hop_headers(const PerTransfer& transfer, bool to_listed_origin) {
    HeaderList list;
    for (const curl_slist* item = transfer.request_headers.get(); item != nullptr;
         item = item->next) {
        append_header(list, item->data);
    }
    if (to_listed_origin) {
        for (const std::string& line :
             user_header_lines(transfer.ctx.settings.headers, transfer.task.headers)) {
            append_header(list, line.c_str());
        }
    }
    return list;
}

// -u beats a netrc entry (CURL_NETRC_OPTIONAL); neither goes to another origin.
void set_credentials(CURL* easy, const TransferOptions& settings, bool to_listed_origin) {
    const bool user = to_listed_origin && !settings.user.empty();
    curl_easy_setopt(easy, CURLOPT_USERPWD, user ? settings.user.c_str() : nullptr);
    const bool netrc = to_listed_origin && (settings.netrc || !settings.netrc_file.empty());
    curl_easy_setopt(easy, CURLOPT_NETRC,
                     static_cast<long>(netrc ? CURL_NETRC_OPTIONAL : CURL_NETRC_IGNORED));
    curl_easy_setopt(easy, CURLOPT_NETRC_FILE,
                     settings.netrc_file.empty() ? nullptr : settings.netrc_file.c_str());
}

// A list line's own request details are checked here, where they are used: a bad one fails
// its URL only. The text names the header, never its value.
void check_task_request(const Task& task) {
    for (const std::string& line : task.headers) {
        if (const std::string problem = header_line_problem(line); !problem.empty()) {
            throw std::invalid_argument("list line " + std::to_string(task.line) + ": " + problem);
        }
    }
    if (!task.referer.empty()) {
        if (const std::string problem = referer_problem(task.referer); !problem.empty()) {
            throw std::invalid_argument("list line " + std::to_string(task.line) +
                                        ": referer: " + problem);
        }
    }
}

void set_error(CurlSession::Handle& handle, const std::string& text) {
    const std::size_t size = std::min(text.size(), handle.error_buffer.size() - 1);
    std::memcpy(handle.error_buffer.data(), text.data(), size);
    handle.error_buffer[size] = '\0';
}

// --timeout for the next hop: what is left of it. False when nothing is.
bool set_time_left(PerTransfer& transfer, Clock::time_point start) {
    const double timeout_s = transfer.ctx.settings.timeout_s;
    if (timeout_s <= 0) {
        return true; // none: TIMEOUT_MS stays 0, as set_easy_options set it
    }
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    const long left_ms = static_cast<long>(timeout_s * 1000) - static_cast<long>(spent.count());
    if (left_ms <= 0) {
        set_error(transfer.handle, "timed out after " + std::to_string(spent.count()) +
                                       " milliseconds, following redirects");
        return false;
    }
    curl_easy_setopt(transfer.easy, CURLOPT_TIMEOUT_MS, left_ms);
    return true;
}

// Where the response just received sends us, when it is a redirect to follow.
std::optional<std::string> redirect_target(CURL* easy) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location);
    if (status < 300 || status > 399 || status == 304 || location == nullptr) {
        return std::nullopt;
    }
    return std::string(location);
}

// The scheme of an absolute URL as libcurl resolved it ("file"), lower-cased.
std::string scheme_of(const std::string& url) {
    std::string scheme = url.substr(0, url.find(':'));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return scheme;
}

// One request to `url`: its options, then the perform. The header list lives until the
// perform has returned.
CURLcode perform_hop(PerTransfer& transfer, const std::string& url) {
    CURL* easy = transfer.easy;
    // Asked only when the answer changes the request: without user headers, a Referer or
    // credentials, a hop to the listed origin is sent as one to any other (and the two URL
    // parses were a tenth of a small file's instructions).
    const bool listed = has_origin_bound_details(transfer.ctx.settings, transfer.task) &&
                        is_listed_origin(transfer.task.url, url);
    const HeaderList headers = hop_headers(transfer, listed);
    const std::optional<std::string> referer =
        listed ? referer_for(transfer.ctx.settings, transfer.task) : std::nullopt;
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(easy, CURLOPT_REFERER, referer ? referer->c_str() : nullptr);
    set_credentials(easy, transfer.ctx.settings, listed);
    transfer.discarded = 0; // the error-body limit is per response
    transfer.error_body_cut = false;
    const CURLcode code = curl_easy_perform(easy);
    // Nothing of this hop's may be read after it: the list goes with this scope.
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.request_headers.get());
    curl_easy_setopt(easy, CURLOPT_REFERER, nullptr);
    curl_easy_setopt(easy, CURLOPT_USERPWD, nullptr);
    return code;
}

} // namespace

CURLcode perform_following_redirects(PerTransfer& transfer, std::string& final_url) {
    final_url.clear();
    check_task_request(transfer.task);
    const Clock::time_point start = Clock::now();
    std::string url = transfer.task.url;
    for (int redirects = 0;; ++redirects) {
        if (redirects > 0 && !set_time_left(transfer, start)) {
            return CURLE_OPERATION_TIMEDOUT;
        }
        const CURLcode code = perform_hop(transfer, url);
        std::optional<std::string> next =
            code == CURLE_OK ? redirect_target(transfer.easy) : std::nullopt;
        if (!next) {
            return code;
        }
        if (redirects == k_max_redirects) {
            set_error(transfer.handle,
                      "Maximum (" + std::to_string(k_max_redirects) + ") redirects followed");
            return CURLE_TOO_MANY_REDIRECTS;
        }
        if (const std::string scheme = scheme_of(*next); scheme != "http" && scheme != "https") {
            set_error(transfer.handle, "Protocol \"" + scheme + "\" not supported");
            return CURLE_UNSUPPORTED_PROTOCOL;
        }
        url = std::move(*next);
        final_url = url; // the request about to be made is the latest
    }
}

} // namespace imgfetch
