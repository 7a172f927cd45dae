#include "imgfetch/transfer/download.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/transfer/content_check.hpp"
#include "imgfetch/transfer/curl_handle.hpp"
#include "imgfetch/transfer/existing_file.hpp"
#include "imgfetch/transfer/proxy_env.hpp"
#include "imgfetch/transfer/rate_pacer.hpp"
#include "imgfetch/ui/progress.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

constexpr long k_max_redirects = 10;
constexpr long k_receive_buffer_bytes = 64 * 1024;
// Body bytes written to the file at once (see Transfer::gathered): most images fit whole.
constexpr std::size_t k_write_gather_bytes = 64 * 1024;
// Error bodies (404 pages...) are read and dropped up to this size so the connection can be
// reused; beyond it the transfer is cut.
constexpr std::size_t k_max_discarded_bytes = 64 * 1024;

const std::string k_user_agent = "imgfetch/" IMGFETCH_VERSION;

using SteadyClock = std::chrono::steady_clock;

bool is_success(long http_status) {
    return http_status >= 200 && http_status < 300;
}

// The report's name for the HTTP version of the last response (CURLINFO_HTTP_VERSION); empty
// when no response arrived.
std::string http_version_text(long version) {
    switch (version) {
    case CURL_HTTP_VERSION_1_0:
        return "1.0";
    case CURL_HTTP_VERSION_1_1:
        return "1.1";
    case CURL_HTTP_VERSION_2_0:
        return "2";
    case CURL_HTTP_VERSION_3:
        return "3";
    default:
        return "";
    }
}

bool is_transient_http_status(long http_status) {
    return http_status == 408 || http_status == 429 || (http_status >= 500 && http_status < 600);
}

// libcurl failures worth another attempt: the network or the server had a bad moment.
// Not: DNS failures, TLS verification, bad protocols or redirects, our own aborts.
bool is_transient_curl_error(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

std::string size_text(std::uint64_t bytes) {
    return std::to_string(bytes) + " bytes";
}

// SHA-256 of a byte stream, fed as it arrives (--checksum sha256). One per transfer.
class Sha256Stream {
public:
    Sha256Stream() : m_context(EVP_MD_CTX_new()) {
        if (!m_context || EVP_DigestInit_ex(m_context.get(), EVP_sha256(), nullptr) != 1) {
            throw std::runtime_error("SHA-256 is not available (OpenSSL)");
        }
    }

    void update(const char* data, std::size_t size) {
        if (EVP_DigestUpdate(m_context.get(), data, size) != 1) {
            throw std::runtime_error("SHA-256 update failed (OpenSSL)");
        }
    }

    // The digest as 64 lower-case hex digits; call once.
    std::string hex_digest() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned size = 0;
        if (EVP_DigestFinal_ex(m_context.get(), digest.data(), &size) != 1) {
            throw std::runtime_error("SHA-256 final failed (OpenSSL)");
        }
        static constexpr char k_hex[] = "0123456789abcdef";
        std::string hex;
        hex.reserve(2 * size);
        for (unsigned i = 0; i < size; ++i) {
            hex.push_back(k_hex[digest[i] >> 4]);
            hex.push_back(k_hex[digest[i] & 0xF]);
        }
        return hex;
    }

private:
    struct Free {
        void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> m_context;
};

struct SlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistFree>;

// "identity" in any case: no encoding at all.
bool is_identity(std::string_view value) {
    constexpr std::string_view k_identity = "identity";
    return value.size() == k_identity.size() &&
           std::equal(value.begin(), value.end(), k_identity.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           });
}

// The value of a header line named `lower_name` (lower case, colon included), trimmed of
// spaces and the line end; nothing for another header.
std::optional<std::string_view> header_value(std::string_view line, std::string_view lower_name) {
    if (line.size() < lower_name.size()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < lower_name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != lower_name[i]) {
            return std::nullopt;
        }
    }
    std::string_view value = line.substr(lower_name.size());
    const auto first = value.find_first_not_of(" \t");
    const auto last = value.find_last_not_of(" \t\r\n");
    if (first == std::string_view::npos || last == std::string_view::npos || last < first) {
        return std::string_view{};
    }
    return value.substr(first, last - first + 1);
}

// If-None-Match (the stored ETag) and If-Modified-Since (the file's mtime) for --existing
// update. Explicit headers rather than CURLOPT_TIMECONDITION: libcurl would also drop a 200
// body whose Last-Modified is older than the condition, even when the ETag says it changed.
HeaderList conditional_headers(const ExistingFile& file, const std::optional<std::string>& etag) {
    curl_slist* list = nullptr;
    const auto append = [&list](const std::string& line) {
        curl_slist* grown = curl_slist_append(list, line.c_str());
        if (grown == nullptr) {
            curl_slist_free_all(list);
            throw std::bad_alloc();
        }
        list = grown;
    };
    if (etag) {
        append("If-None-Match: " + *etag);
    }
    if (const std::string date = http_date(file.mtime_s); !date.empty()) {
        append("If-Modified-Since: " + date);
    }
    return HeaderList(list);
}

// Everything one transfer needs, owned by the download_link() call (curl's per_transfer).
struct Transfer {
    Transfer(const Task& task_, const DownloadContext& ctx_, CurlSession::Handle& handle)
        : task(task_), ctx(ctx_), easy(handle.easy), gathered(handle.write_buffer) {
        gathered.clear(); // a previous transfer may have ended before its last write
    }

    const Task& task;
    const DownloadContext& ctx;
    CURL* easy;
    // Body bytes gathered for one large write (the session's buffer, reused): libcurl hands a
    // body over in pieces of at most 16 KiB, and a write per piece was 4 system calls for a
    // 60 KiB image; now a file up to k_write_gather_bytes is written with one.
    std::vector<char>& gathered;

    std::string pending;             // body bytes held back until the sniff decision
    bool decided = false;            // has the image check run?
    std::string extension;           // image extension chosen by the check
    std::optional<AtomicFile> file;  // the temporary, once the body is accepted
    std::uint64_t bytes = 0;         // bytes written to the temporary
    std::size_t discarded = 0;       // bytes of non-2xx bodies dropped
    std::string abort_reason;        // set when we stop the transfer ourselves
    bool abort_retryable = false;    // our abort is transient (a stall), worth another attempt
    bool error_body_cut = false;     // a long error body was cut: the HTTP status is the error
    bool interrupted = false;        // stopped because the run is being interrupted
    std::string content_disposition; // of the current response
    std::string etag;                // of the current response, as sent
    std::string content_encoding;    // of the current response, as sent; empty = none
    bool headers_complete = false;   // the current response's header block has ended

    std::optional<ExistingFile> existing;     // --existing update: the file the request is about
    HeaderList request_headers;               // extra request headers; null when none
    std::optional<Sha256Stream> digest;       // --checksum sha256
    RatePacer pacer{ctx.settings.limit_rate}; // --limit-rate, with MAX_RECV_SPEED_LARGE

    // Stall detection: the last time a body byte arrived (or the transfer started).
    curl_off_t last_received = 0;
    SteadyClock::time_point last_progress = SteadyClock::now();

    long response_code() const {
        long code = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
        return code;
    }

    std::string media_type() const {
        char* content_type = nullptr;
        curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
        return media_type_of(content_type == nullptr ? "" : content_type);
    }

    // Decides, once, whether the body is an image from its first bytes `head` (the whole
    // body so far); on acceptance creates the temporary and writes `head`. Returns false
    // (with abort_reason) to stop the transfer.
    bool decide(std::string_view head) {
        decided = true;
        const std::string media = media_type();
        if (const auto sniffed = sniff_image_extension(head)) {
            extension = *sniffed; // the bytes are the best witness of the format
        } else if (is_image_media_type(media) &&
                   (media == "image/svg+xml" || !looks_like_markup(head))) {
            extension = extension_for_media_type(media).value_or("");
        } else if (!ctx.settings.any_type) {
            abort_reason =
                is_image_media_type(media)
                    ? "not an image (HTML/XML body labelled " + media + ")"
                    : "not an image (" + (media.empty() ? "no Content-Type" : media) + ")";
            return false;
        }
        file.emplace(ctx.dir);
        write_out(head.data(), head.size());
        return true;
    }

    // decide() on the bytes held back in `pending`, which are then released.
    bool decide_pending() {
        const bool accepted = decide(pending);
        pending.clear();
        pending.shrink_to_fit();
        return accepted;
    }

    void write_out(const char* data, std::size_t size) {
        if (gathered.size() + size > k_write_gather_bytes) {
            flush();
        }
        if (size >= k_write_gather_bytes) {
            file->write(data, size); // nothing to gain from a copy
        } else {
            if (gathered.capacity() < k_write_gather_bytes) {
                gathered.reserve(k_write_gather_bytes); // once per session
            }
            gathered.insert(gathered.end(), data, data + size);
        }
        if (digest) {
            digest->update(data, size); // the saved bytes, hashed as they stream
        }
        bytes += size;
    }

    // Writes what write_out() gathered. Throws std::system_error ("write failed: ...").
    void flush() {
        if (!gathered.empty()) {
            file->write(gathered.data(), gathered.size());
            gathered.clear();
        }
    }

    // Returns false to abort the transfer.
    bool on_body(const char* data, std::size_t size) {
        if (ctx.progress != nullptr) {
            ctx.progress->add_bytes(size);
        }
        pacer.pace(size, ctx.stop);
        // The status is read per call: bodies of redirects or errors must never reach a file.
        if (!is_success(response_code())) {
            discarded += size;
            error_body_cut = discarded > k_max_discarded_bytes;
            return !error_body_cut;
        }
        // The limit is enforced on the bytes actually delivered: a length the server announced
        // may be absent or false, and libcurl may decode a compressed body into far more.
        const std::uint64_t max_size = ctx.settings.max_size;
        if (max_size != 0 && bytes + pending.size() + size > max_size) {
            abort_reason = "larger than --max-size (" + size_text(max_size) + ")";
            return false;
        }
        if (decided) {
            write_out(data, size);
            return true;
        }
        if (pending.empty() && size >= k_sniff_bytes) {
            // The usual case: the first piece is enough to decide on, with no copy.
            return decide(std::string_view(data, size));
        }
        pending.append(data, size);
        return pending.size() < k_sniff_bytes || decide_pending();
    }

    // Called by libcurl at least about once a second, even when no data flows.
    bool on_progress(curl_off_t received) {
        if (ctx.stop.stop_requested()) {
            interrupted = true;
            abort_reason = "interrupted";
            return false;
        }
        const auto now = SteadyClock::now();
        if (received != last_received) {
            last_received = received;
            last_progress = now;
            return true;
        }
        if (now - last_progress > std::chrono::seconds(ctx.settings.stall_timeout_s)) {
            abort_reason =
                "stalled: no data for " + std::to_string(ctx.settings.stall_timeout_s) + " s";
            abort_retryable = true;
            return false;
        }
        return true;
    }

    // Returns false to abort the transfer.
    bool on_header(std::string_view line) {
        if (line.rfind("HTTP/", 0) == 0) {
            content_disposition.clear(); // a new response (after a redirect or 100)
            etag.clear();
            content_encoding.clear();
            headers_complete = false;
            return true;
        }
        if (const auto value = header_value(line, "content-encoding:")) {
            // Several headers add up (libcurl decodes them all): one that says other than
            // identity marks the body encoded; a later "identity" does not undo it.
            if (!is_identity(*value)) {
                content_encoding = std::string(*value);
            }
            return true;
        }
        if (const auto value = header_value(line, "etag:")) {
            etag = std::string(*value);
            return true;
        }
        if (line == "\r\n" || line == "\n") {
            headers_complete = true;
            return on_headers_complete();
        }
        constexpr std::string_view k_name = "content-disposition:";
        if (line.size() > k_name.size()) {
            std::string lower(line.substr(0, k_name.size()));
            for (char& c : lower) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            if (lower == k_name) {
                content_disposition = std::string(line.substr(k_name.size()));
            }
        }
        return true;
    }

    // A success response that announces a body over the limit is refused before any byte
    // of it is read. Error responses are not: their bodies are never saved. An encoded body's
    // length is not the saved file's (a gzipped JPEG is a little longer than the JPEG): its
    // decoded bytes are counted as they arrive instead.
    bool on_headers_complete() {
        const std::uint64_t max_size = ctx.settings.max_size;
        if (!content_encoding.empty()) {
            return true;
        }
        curl_off_t announced = -1;
        curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
        if (max_size != 0 && announced > 0 && static_cast<std::uint64_t>(announced) > max_size &&
            is_success(response_code())) {
            abort_reason = "larger than --max-size (" + size_text(max_size) + "; announced " +
                           std::to_string(announced) + ")";
            return false;
        }
        return true;
    }

    // libcurl's C callbacks: no exception may cross them.
    static std::size_t write_callback(char* data, std::size_t size, std::size_t count, void* user) {
        auto* self = static_cast<Transfer*>(user);
        const std::size_t total = size * count;
        try {
            return self->on_body(data, total) ? total : 0;
        } catch (const std::system_error& e) {
            self->abort_reason = e.what();
        } catch (const std::exception& e) {
            self->abort_reason = std::string("internal error: ") + e.what();
        }
        return 0;
    }

    static int progress_callback(void* user, curl_off_t, curl_off_t received, curl_off_t,
                                 curl_off_t) {
        return static_cast<Transfer*>(user)->on_progress(received) ? 0 : 1;
    }

    static std::size_t header_callback(char* data, std::size_t size, std::size_t count,
                                       void* user) {
        const std::size_t total = size * count;
        try {
            return static_cast<Transfer*>(user)->on_header(std::string_view(data, total)) ? total
                                                                                          : 0;
        } catch (...) {
            return 0; // out of memory: abort
        }
    }
};

void configure(CURL* easy, CurlSession::Handle& handle, const Task& task,
               const TransferOptions& settings, Transfer& transfer) {
    handle.error_buffer[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_URL, task.url.c_str());
    curl_easy_setopt(easy, CURLOPT_SHARE, handle.share);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L); // threads: no SIGALRM-based DNS timeouts
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, handle.error_buffer);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, k_user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, k_max_redirects);
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
    // The server's Last-Modified becomes the saved file's mtime (CURLINFO_FILETIME_T).
    curl_easy_setopt(easy, CURLOPT_FILETIME, 1L);
    // Set on every transfer: the handle is reused, and null clears the previous one's headers.
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.request_headers.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::write_callback);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Transfer::header_callback);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &Transfer::progress_callback);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
}

// Why a connection could not be made, in lower case ("connection refused").
std::string connect_failure(CURLcode code, const Transfer& transfer) {
    if (code == CURLE_COULDNT_RESOLVE_PROXY) {
        return "cannot resolve its host name";
    }
    long os_errno = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_OS_ERRNO, &os_errno);
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
        return std::string(curl_easy_strerror(code)) + ": " + handle.error_buffer;
    }
    return curl_easy_strerror(code);
}

// libcurl's own words, where they would mislead, said so that a person can act on them.
std::string failure_text(CURLcode code, const Transfer& transfer,
                         const CurlSession::Handle& handle) {
    if (code == CURLE_BAD_CONTENT_ENCODING && !transfer.content_encoding.empty()) {
        // libcurl says the same code for an encoding it lacks and for corrupt encoded data.
        const std::string_view reason = handle.error_buffer;
        const bool unknown = reason.rfind("Unrecognized content encoding", 0) == 0;
        return (unknown ? "unsupported Content-Encoding '" : "cannot decode Content-Encoding '") +
               transfer.content_encoding + "' (" + std::string(reason) + ")";
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
            proxy_from_environment(effective != nullptr ? effective : transfer.task.url);
        if (proxy) {
            // libcurl takes a proxy without a scheme as http://; said so, its password is
            // redacted like any URL's.
            const std::string shown =
                proxy->find("://") == std::string::npos ? "http://" + *proxy : *proxy;
            return "proxy " + redact_credentials(shown) + ": " + connect_failure(code, transfer);
        }
    }
    return curl_error_text(code, handle);
}

// The final name: the reserved one, or the server's (--content-disposition), plus an
// extension when the reserved name had no image extension.
std::string final_name_of(const Transfer& transfer) {
    const DownloadContext& ctx = transfer.ctx;
    if (ctx.settings.content_disposition && ctx.names != nullptr) {
        if (const auto server_name =
                filename_from_content_disposition(transfer.content_disposition)) {
            ReservedName reserved = ctx.names->reserve(*server_name);
            if (reserved.needs_extension && !transfer.extension.empty()) {
                reserved.name += "." + transfer.extension;
            }
            return reserved.name;
        }
    }
    std::string name = transfer.task.file_name;
    if (transfer.task.needs_extension && !transfer.extension.empty()) {
        name += "." + transfer.extension;
    }
    return name;
}

// Before the rename, so both appear with the file: the server's Last-Modified as its mtime,
// its ETag in an extended attribute (skipped where the filesystem has none: --existing update
// then relies on the mtime alone).
void finish_file(Transfer& transfer, const std::string& final_name) {
    curl_off_t last_modified = -1;
    if (curl_easy_getinfo(transfer.easy, CURLINFO_FILETIME_T, &last_modified) == CURLE_OK &&
        last_modified != -1) {
        transfer.file->set_modification_time(static_cast<std::int64_t>(last_modified));
    }
    if (!is_storable_etag(transfer.etag)) {
        return;
    }
    try {
        transfer.file->set_extended_attribute(k_etag_attribute, transfer.etag);
    } catch (const std::system_error& e) {
        // The file itself is fine; only the next --existing update loses the ETag.
        spdlog::warn("{}: ETag not stored: {}", printable(final_name), printable(e.what()));
    }
}

// --existing update replaced "photo.jpg" with a body of another type, saved as "photo.png":
// the old file of the same stem goes, or every later run would find it first.
void remove_replaced_file(const Transfer& transfer, const std::string& final_name) {
    const Task& task = transfer.task;
    if (!transfer.existing || transfer.existing->name == final_name || !task.needs_extension ||
        final_name != task.file_name + "." + transfer.extension) {
        return;
    }
    if (::unlinkat(transfer.ctx.dir.fd(), transfer.existing->name.c_str(), 0) != 0) {
        spdlog::warn("{}: replaced by {} but not removed", printable(transfer.existing->name),
                     printable(final_name));
    }
}

// Runs the transfer and fills `result` with its status; commits the file on success.
void perform(Transfer& transfer, CurlSession::Handle& handle, TransferResult& result) {
    const CURLcode code = [&transfer] {
        const ActiveTransfer in_flight(transfer.ctx.progress); // for the progress bar
        return curl_easy_perform(transfer.easy);
    }();
    const long http_status = transfer.response_code();
    if (http_status != 0) {
        result.http_status = http_status;
        long version = 0;
        curl_easy_getinfo(transfer.easy, CURLINFO_HTTP_VERSION, &version);
        result.http_version = http_version_text(version);
    }
    if (code != CURLE_OK && !transfer.error_body_cut) {
        if (!transfer.abort_reason.empty()) {
            result.error = transfer.abort_reason;
            result.retryable = transfer.abort_retryable; // a stall is; a size limit is not
            return;
        }
        result.error = failure_text(code, transfer, handle);
        result.retryable = is_transient_curl_error(code);
        return;
    }
    if (http_status == 304 && transfer.existing) {
        // Our conditional request was answered "unchanged": keep the file as it is.
        result.status = Status::not_modified;
        result.path = transfer.ctx.dir.path_of(transfer.existing->name);
        return;
    }
    if (!is_success(http_status)) {
        result.error = "HTTP " + std::to_string(http_status);
        result.retryable = is_transient_http_status(http_status);
        curl_off_t retry_after = 0;
        if (curl_easy_getinfo(transfer.easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
            retry_after > 0) {
            result.retry_after_s = static_cast<double>(retry_after);
        }
        return;
    }
    if (!transfer.decided) { // a body shorter than the sniff window
        if (transfer.pending.empty()) {
            result.error = "empty body";
            return;
        }
        if (!transfer.decide_pending()) {
            result.error = transfer.abort_reason;
            return;
        }
    }
    const std::string final_name = final_name_of(transfer);
    transfer.flush();
    finish_file(transfer, final_name);
    if (transfer.digest) {
        result.sha256 = transfer.digest->hex_digest();
    }
    transfer.file->commit(final_name);
    remove_replaced_file(transfer, final_name);
    result.status = Status::ok;
    result.bytes = transfer.bytes;
    result.path = transfer.ctx.dir.path_of(final_name);
}

// --existing skip|update: what is already at the task's target path, if it counts.
std::optional<ExistingFile> existing_file_for(const Task& task, const DownloadContext& ctx) {
    if (ctx.settings.existing == ExistingPolicy::overwrite) {
        return std::nullopt;
    }
    // With --content-disposition the server's name is known only from a response: only the
    // name from the URL (or the list) is looked for.
    return find_existing_file(ctx.dir, task, ctx.settings.any_type);
}

// --existing skip found `existing`: the result of a task that needs no request at all.
TransferResult skipped_result(const Task& task, const DownloadContext& ctx, unsigned worker,
                              const ExistingFile& existing) {
    TransferResult result;
    result.seq = task.seq;
    result.line = task.line;
    result.url = redact_credentials(task.url);
    result.source_url = task.url;
    result.file_name = task.file_name;
    result.worker = worker;
    result.status = Status::skipped; // no request at all
    result.attempts = 0;
    result.path = ctx.dir.path_of(existing.name);
    result.start = ctx.clock.seconds_since_start();
    result.end = result.start;
    return result;
}

} // namespace

std::optional<TransferResult> skip_existing(const Task& task, const DownloadContext& ctx,
                                            unsigned worker) {
    if (ctx.settings.existing != ExistingPolicy::skip) {
        return std::nullopt;
    }
    const std::optional<ExistingFile> existing = existing_file_for(task, ctx);
    if (!existing) {
        return std::nullopt;
    }
    return skipped_result(task, ctx, worker, *existing);
}

TransferResult download_link(CurlSession& session, const Task& task, const DownloadContext& ctx,
                             unsigned worker) {
    TransferResult result;
    result.seq = task.seq;
    result.line = task.line;
    result.url = redact_credentials(task.url);
    result.source_url = task.url;
    result.file_name = task.file_name;
    result.worker = worker;
    result.attempts = 1;
    result.start = ctx.clock.seconds_since_start();
    try {
        // One look serves both policies (a stat per probed name, so only one).
        std::optional<ExistingFile> existing = existing_file_for(task, ctx);
        if (existing && ctx.settings.existing == ExistingPolicy::skip) {
            return skipped_result(task, ctx, worker, *existing);
        }
        CurlSession::Handle& handle = session.handle();
        Transfer transfer{task, ctx, handle};
        if (existing) { // update: ask only for a changed file
            transfer.request_headers =
                conditional_headers(*existing, read_stored_etag(ctx.dir, existing->name));
            transfer.existing = std::move(existing);
        }
        if (ctx.settings.checksum_sha256) {
            transfer.digest.emplace();
        }
        configure(handle.easy, handle, task, ctx.settings, transfer);
        perform(transfer, handle, result);
    } catch (const std::exception& e) {
        result.status = Status::failed;
        result.error = e.what();
        result.retryable = false;
    }
    if (result.status == Status::failed && result.error.empty()) {
        result.error = "unknown error";
    }
    result.end = ctx.clock.seconds_since_start();
    return result;
}

} // namespace imgfetch
