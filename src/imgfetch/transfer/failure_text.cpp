#include "imgfetch/transfer/failure_text.hpp"

#include <cctype>
#include <optional>
#include <string_view>
#include <system_error>

#include "imgfetch/transfer/per_transfer.hpp"
#include "imgfetch/transfer/proxy_env.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// Why a connection could not be made, in lower case ("connection refused").
std::string connect_failure(CURLcode code, CURL* easy) {
    if (code == CURLE_COULDNT_RESOLVE_PROXY) {
        return "cannot resolve its host name";
    }
    long os_errno = 0;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno == 0) {
        return "cannot connect";
    }
    std::string reason =
        std::error_code(static_cast<int>(os_errno), std::generic_category()).message();
    if (!reason.empty()) {
        reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    return reason;
}

std::string curl_error_text(CURLcode code, const CurlSession::Handle& handle) {
    if (handle.error_buffer[0] != '\0') {
        return std::string(curl_easy_strerror(code)) + ": " + handle.error_buffer.data();
    }
    return curl_easy_strerror(code);
}

} // namespace

std::string failure_text(CURLcode code, const PerTransfer& transfer) {
    const CurlSession::Handle& handle = transfer.handle;
    if (code == CURLE_BAD_CONTENT_ENCODING) {
        // libcurl says the same code for an encoding it lacks and for corrupt encoded data.
        if (const std::string encoding = transfer.response.content_encoding(); !encoding.empty()) {
            const std::string_view reason = handle.error_buffer.data();
            const bool unknown = reason.rfind("Unrecognized content encoding", 0) == 0;
            return (unknown ? "unsupported Content-Encoding '"
                            : "cannot decode Content-Encoding '") +
                   encoding + "' (" + std::string(reason) + ")";
        }
    }
    if (code == CURLE_OUT_OF_MEMORY && !transfer.headers_complete) {
        // libcurl refuses a header block over CURL_MAX_HTTP_HEADER (100 KiB) as "out of memory".
        return "response header too large (libcurl accepts at most " +
               std::to_string(CURL_MAX_HTTP_HEADER / 1024) + " KiB)";
    }
    if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_PROXY) {
        // Through a proxy, the connection that failed is the one to the proxy.
        char* effective = nullptr;
        curl_easy_getinfo(transfer.easy, CURLINFO_EFFECTIVE_URL, &effective);
        const std::optional<std::string> proxy =
            proxy_for(effective != nullptr ? effective : transfer.task.url, transfer.ctx.settings);
        if (proxy) {
            // libcurl takes a proxy without a scheme as http://; said so, its password is
            // redacted like any URL's.
            const std::string shown =
                proxy->find("://") == std::string::npos ? "http://" + *proxy : *proxy;
            return "proxy " + redact_credentials(shown) + ": " +
                   connect_failure(code, transfer.easy);
        }
    }
    return curl_error_text(code, handle);
}

} // namespace imgfetch
