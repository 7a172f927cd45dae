#include "imgfetch/transfer/easy_options.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "imgfetch/transfer/connection_cache.hpp"
#include "imgfetch/transfer/per_transfer.hpp"

namespace imgfetch {

namespace {

constexpr long k_receive_buffer_bytes = 64 * 1024;

// --proxy and --noproxy, each overriding the environment (proxy_env.hpp says how libcurl then
// decides, and names the proxy in errors the same way). Unset, libcurl reads the environment.
void set_proxy_options(CURL* easy, const TransferOptions& settings) {
    if (!settings.proxy.empty()) {
        curl_easy_setopt(easy, CURLOPT_PROXY, settings.proxy.c_str());
        // An https:// proxy is verified like an https server: the same CA file and --insecure.
        curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYPEER, settings.insecure ? 0L : 1L);
        curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYHOST, settings.insecure ? 0L : 2L);
        if (!settings.cacert.empty()) {
            curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO, settings.cacert.c_str());
        }
    }
    if (settings.noproxy) {
        curl_easy_setopt(easy, CURLOPT_NOPROXY, settings.noproxy->c_str());
    }
}

// What is the same for every transfer of a run: protocols, User-Agent, timeouts, encodings, TLS.
void set_run_options(CURL* easy, const TransferOptions& settings) {
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L); // threads: no SIGALRM-based DNS timeouts
    curl_easy_setopt(easy, CURLOPT_USERAGENT, settings.user_agent.c_str()); // -A, every host
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    // Redirects are followed by redirect_follow.cpp, which rebuilds each hop's request: libcurl
    // would forward --header's and the Referer to another host.
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, settings.connect_timeout_s);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout_s * 1000));
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, k_receive_buffer_bytes);
    // Ask for, and decode, every Content-Encoding this libcurl supports ("" = all of them:
    // gzip, deflate, br, zstd with Debian's). Servers and CDNs send stored-gzipped objects
    // encoded whatever the request says (nginx gzip_static always, S3): undecoded, the gzip
    // bytes would be saved under an image's name. Everything after libcurl — the image check,
    // --max-size, --checksum, the saved bytes and the report's `bytes` — sees decoded bytes.
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    // HTTP/2 over https when the server offers it by ALPN, HTTP/1.1 otherwise and over plain
    // http (no cleartext h2c upgrade). libcurl has defaulted to this only since 7.62 (1.1
    // before); said explicitly, it holds whatever libcurl we run with. One without HTTP/2
    // refuses the option and stays on 1.1. Workers do not multiplex: each has its own easy
    // handle, hence its own connection, and runs one transfer at a time on it; -j N to one h2
    // host means N connections, like N HTTP/1.1 keep-alive connections.
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(easy, CURLOPT_MAX_RECV_SPEED_LARGE, // --limit-rate; 0 = unlimited
                     static_cast<curl_off_t>(std::min<std::uint64_t>(
                         settings.limit_rate, std::numeric_limits<curl_off_t>::max())));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, settings.insecure ? 0L : 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, settings.insecure ? 0L : 2L);
    if (!settings.cacert.empty()) { // the same for every transfer of a run
        curl_easy_setopt(easy, CURLOPT_CAINFO, settings.cacert.c_str());
    }
    set_proxy_options(easy, settings);
    // Connections kept per worker for the hosts it serves (transfer/connection_cache.hpp):
    // host-affine dispatch sends a worker back to them, an h2 host included (one connection).
    curl_easy_setopt(easy, CURLOPT_MAXCONNECTS, k_connections_per_worker);
    curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN, k_idle_connection_max_age_s);
}

} // namespace

void set_easy_options(PerTransfer& transfer) {
    CurlSession::Handle& handle = transfer.handle;
    CURL* easy = handle.easy;
    handle.error_buffer[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_URL, transfer.task.url.c_str());
    curl_easy_setopt(easy, CURLOPT_SHARE, handle.share);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, handle.error_buffer.data());
    set_run_options(easy, transfer.ctx.settings);
    // Set on every transfer: the handle is reused, and null clears the previous one's headers.
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.request_headers.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &PerTransfer::write_callback);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &PerTransfer::header_callback);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &PerTransfer::progress_callback);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
}

} // namespace imgfetch
