#include "imgfetch/download.hpp"

#include <exception>
#include <optional>
#include <string>
#include <system_error>

#include "curl_handle.hpp"
#include "imgfetch/atomic_file.hpp"
#include "imgfetch/content_check.hpp"
#include "imgfetch/output_dir.hpp"

namespace imgfetch {

namespace {

constexpr long k_max_redirects = 10;
constexpr long k_receive_buffer_bytes = 64 * 1024;
// Error bodies (404 pages...) are read and dropped up to this size so the connection can be
// reused; beyond it the transfer is cut.
constexpr std::size_t k_max_discarded_bytes = 64 * 1024;

const std::string k_user_agent = "imgfetch/" IMGFETCH_VERSION;

bool is_success(long http_status) {
    return http_status >= 200 && http_status < 300;
}

// Everything one transfer needs, owned by the download_link() call (curl's per_transfer).
struct Transfer {
    Transfer(const Task& task_, const DownloadContext& ctx_, CURL* easy_)
        : task(task_), ctx(ctx_), easy(easy_) {}

    const Task& task;
    const DownloadContext& ctx;
    CURL* easy;

    std::string pending;            // body bytes held back until the sniff decision
    bool decided = false;           // has the image check run?
    std::string extension;          // image extension chosen by the check
    std::optional<AtomicFile> file; // the temporary, once the body is accepted
    std::uint64_t bytes = 0;        // bytes written to the temporary
    std::size_t discarded = 0;      // bytes of non-2xx bodies dropped
    std::string abort_reason;       // set when we stop the transfer ourselves

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

    // Decides, once, whether the body is an image; on acceptance creates the temporary and
    // writes what was held back. Returns false (with abort_reason) to stop the transfer.
    bool decide() {
        decided = true;
        const std::string media = media_type();
        if (const auto sniffed = sniff_image_extension(pending)) {
            extension = *sniffed; // the bytes are the best witness of the format
        } else if (is_image_media_type(media) &&
                   (media == "image/svg+xml" || !looks_like_markup(pending))) {
            extension = extension_for_media_type(media).value_or("");
        } else if (!ctx.settings.any_type) {
            abort_reason =
                is_image_media_type(media)
                    ? "not an image (HTML/XML body labelled " + media + ")"
                    : "not an image (" + (media.empty() ? "no Content-Type" : media) + ")";
            return false;
        }
        file.emplace(ctx.dir);
        write_out(pending.data(), pending.size());
        pending.clear();
        pending.shrink_to_fit();
        return true;
    }

    void write_out(const char* data, std::size_t size) {
        file->write(data, size);
        bytes += size;
    }

    // Returns false to abort the transfer.
    bool on_body(const char* data, std::size_t size) {
        // The status is read per call: bodies of redirects or errors must never reach a file.
        if (!is_success(response_code())) {
            discarded += size;
            return discarded <= k_max_discarded_bytes;
        }
        if (decided) {
            write_out(data, size);
            return true;
        }
        pending.append(data, size);
        return pending.size() < k_sniff_bytes || decide();
    }

    static std::size_t write_callback(char* data, std::size_t size, std::size_t count, void* user) {
        auto* self = static_cast<Transfer*>(user);
        const std::size_t total = size * count;
        // No exception may cross libcurl's C frames: record the reason and abort instead.
        try {
            return self->on_body(data, total) ? total : 0;
        } catch (const std::system_error& e) {
            self->abort_reason = e.what();
        } catch (const std::exception& e) {
            self->abort_reason = std::string("internal error: ") + e.what();
        }
        return 0;
    }
};

void configure(CURL* easy, CurlSession::Handle& handle, const Task& task,
               const DownloadSettings& settings, Transfer& transfer) {
    handle.error_buffer[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_URL, task.url.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L); // threads: no SIGALRM-based DNS timeouts
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, handle.error_buffer);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, k_user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, k_max_redirects);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, settings.connect_timeout_s);
    // A stall: fewer than 1 byte/s for stall_timeout_s seconds.
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, settings.stall_timeout_s);
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, k_receive_buffer_bytes);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::write_callback);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
}

std::string curl_error_text(CURLcode code, const CurlSession::Handle& handle) {
    if (handle.error_buffer[0] != '\0') {
        return std::string(curl_easy_strerror(code)) + ": " + handle.error_buffer;
    }
    return curl_easy_strerror(code);
}

// Runs the transfer and fills `result` with its status; commits the file on success.
void perform(Transfer& transfer, CurlSession::Handle& handle, TransferResult& result) {
    const CURLcode code = curl_easy_perform(transfer.easy);
    const long http_status = transfer.response_code();
    if (http_status != 0) {
        result.http_status = http_status;
    }
    if (code != CURLE_OK) {
        result.error =
            transfer.abort_reason.empty() ? curl_error_text(code, handle) : transfer.abort_reason;
        return;
    }
    if (!is_success(http_status)) {
        result.error = "HTTP " + std::to_string(http_status);
        return;
    }
    if (!transfer.decided) { // a body shorter than the sniff window
        if (transfer.pending.empty()) {
            result.error = "empty body";
            return;
        }
        if (!transfer.decide()) {
            result.error = transfer.abort_reason;
            return;
        }
    }
    std::string final_name = transfer.task.file_name;
    if (transfer.task.needs_extension && !transfer.extension.empty()) {
        final_name += "." + transfer.extension;
    }
    transfer.file->commit(final_name);
    result.status = Status::ok;
    result.bytes = transfer.bytes;
    result.path = transfer.ctx.dir.path_of(final_name);
}

} // namespace

TransferResult download_link(CurlSession& session, const Task& task, const DownloadContext& ctx,
                             unsigned worker) {
    TransferResult result;
    result.seq = task.seq;
    result.line = task.line;
    result.url = task.url;
    result.worker = worker;
    result.attempts = 1;
    result.start = ctx.clock.seconds_since_start();
    try {
        CurlSession::Handle& handle = session.handle();
        Transfer transfer{task, ctx, handle.easy};
        configure(handle.easy, handle, task, ctx.settings, transfer);
        perform(transfer, handle, result);
    } catch (const std::exception& e) {
        result.status = Status::failed;
        result.error = e.what();
    }
    if (result.status != Status::ok && result.error.empty()) {
        result.error = "unknown error";
    }
    result.end = ctx.clock.seconds_since_start();
    return result;
}

} // namespace imgfetch
