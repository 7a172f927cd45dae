#include "imgfetch/transfer/per_transfer.hpp"

#include <exception>
#include <system_error>

#include "imgfetch/transfer/partial_download.hpp"
#include "imgfetch/ui/progress.hpp"

namespace imgfetch {

namespace {

// Error bodies (404 pages...) are read and dropped up to this size so the connection can be
// reused; beyond it the transfer is cut.
constexpr std::size_t k_max_discarded_bytes = 64 * 1024;

bool is_success(long http_status) {
    return http_status >= 200 && http_status < 300;
}

BodySinkLimits limits_of(const TransferOptions& settings, const Task& task) {
    BodySinkLimits limits;
    limits.max_size = settings.max_size;
    limits.any_type = settings.any_type;
    // An expected hash from the list is checked even without --checksum; --reject-hash needs it.
    limits.sha256 = settings.checksum_sha256 || !task.expected_sha256.empty() ||
                    !settings.reject_hash_file.empty();
    limits.verify = settings.verify == VerifyMode::structure;
    limits.filters = &settings.filters;
    return limits;
}

} // namespace

PerTransfer::PerTransfer(const Task& task_, const DownloadContext& ctx_,
                         CurlSession::Handle& handle_)
    : task(task_), ctx(ctx_), handle(handle_), easy(handle_.easy), response(handle_.easy),
      body(ctx_.dir, limits_of(ctx_.settings, task_), handle_.write_buffer,
           [this] { return response.media_type(); }),
      stall(std::chrono::seconds(ctx_.settings.stall_timeout_s), StallWatch::Clock::now()),
      pacer(ctx_.settings.limit_rate) {}

// Returns false to abort the transfer.
bool PerTransfer::on_body(std::string_view piece) {
    if (ctx.progress != nullptr) {
        ctx.progress->add_bytes(piece.size());
    }
    pacer.pace(piece.size(), ctx.stop);
    // The status is read per call: bodies of redirects or errors must never reach a file.
    if (const long status = response.status(); !is_success(status)) {
        discarded += piece.size();
        // An error's body is cut after 64 KiB. A redirect's is read to its end, up to
        // --max-size: redirect_follow needs the hop to complete to follow it.
        const bool redirect = status >= 300 && status < 400;
        const std::uint64_t max_size = ctx.settings.max_size;
        error_body_cut =
            redirect ? max_size != 0 && discarded > max_size : discarded > k_max_discarded_bytes;
        return !error_body_cut;
    }
    if (std::optional<std::string> refused = body.take(piece)) {
        abort_reason = std::move(*refused);
        abort_filtered = body.refusal_kind() == RefusalKind::filtered;
        return false;
    }
    return true;
}

// Returns false to abort the transfer. The header fields themselves are read from libcurl
// (ResponseFacts); here only where a response starts and where its header block ends.
bool PerTransfer::on_header(std::string_view line) {
    if (line.rfind("HTTP/", 0) == 0) {
        headers_complete = false; // a new response (after a redirect or 100)
        return true;
    }
    if (line == "\r\n" || line == "\n") {
        headers_complete = true;
        return on_headers_complete();
    }
    return true;
}

// A success response that announces a body over the limit (or under --min-size: filtered) is
// refused before any byte of it is read. Error responses are not: their bodies are never saved. An
// encoded body's length is not the saved file's (a gzipped JPEG is a little longer than the JPEG):
// its decoded bytes are counted as they arrive instead.
bool PerTransfer::on_headers_complete() {
    if (!is_success(response.status())) {
        return true;
    }
    if (resume.partial && !resume_on_success()) {
        return false;
    }
    if (!response.content_encoding().empty()) {
        return true;
    }
    const std::optional<std::uint64_t> announced = response.content_length();
    if (!announced || *announced == 0) {
        return true;
    }
    // A 206's length is the rest's: the file is the bytes on disk and the rest.
    if (std::optional<std::string> refused =
            body.refuse_announced(resume.resumed_from + *announced)) {
        abort_reason = std::move(*refused);
        abort_filtered = body.refusal_kind() == RefusalKind::filtered;
        return false;
    }
    return true;
}

// --resume, a success response's header block has ended. A 206 to our Range must continue the
// partial exactly where it ends, to the end of the file, unencoded, with the same validator: the
// bytes on disk are then read back into the body sink.
// Any other success (a 200: the server ignores ranges, or the file changed and If-Range said
// so) starts the partial again, and its validator is stored before the first byte is written.
// Returns false to abort the transfer (the partial is then not kept).
bool PerTransfer::resume_on_success() {
    ResumeState& state = resume;
    if (response.status() == 206 && state.offset > 0) {
        // The rest of the same representation, to its end: the offset on disk, the whole
        // length, and the very validator the bytes on disk came with (a server may ignore
        // If-Range and still answer a range of another version).
        const std::optional<ContentRange> range = content_range_of(response.content_range());
        if (!range || range->first != state.offset || range->last + 1 != range->complete ||
            if_range_validator(response) != state.validator) {
            state.keepable = false;
            abort_reason = "the server's 206 does not continue the partial download (" +
                           std::to_string(state.offset) + " bytes); starting again";
            abort_retryable = true;
            return false;
        }
        state.resumed_from = state.offset;
        if (std::optional<std::string> refused = body.replay(state.offset)) {
            state.keepable = false;
            abort_reason = std::move(*refused);
            abort_filtered = body.refusal_kind() == RefusalKind::filtered;
            return false;
        }
        return true;
    }
    if (state.offset > 0) {
        state.partial->truncate();
        state.offset = 0;
    }
    const std::optional<std::string> validator = if_range_validator(response);
    state.keepable = false;
    if (validator) {
        state.keepable = state.partial->set_extended_attribute(k_resume_attribute, *validator);
        if (!state.keepable) {
            warn_partials_unsupported(ctx.dir);
        }
    }
    if (!state.keepable) {
        state.partial->remove_extended_attribute(k_resume_attribute);
    }
    return true;
}

// Called by libcurl at least about once a second, even when no data flows.
bool PerTransfer::on_progress(curl_off_t received) {
    if (ctx.stop.stop_requested()) {
        abort_reason = "interrupted";
        return false;
    }
    if (stall.stalled(static_cast<std::int64_t>(received), StallWatch::Clock::now())) {
        abort_reason = stall.reason();
        abort_retryable = true;
        return false;
    }
    return true;
}

std::size_t PerTransfer::write_callback(char* data, std::size_t size, std::size_t count,
                                        void* user) {
    auto* self = static_cast<PerTransfer*>(user);
    const std::size_t total = size * count;
    try {
        return self->on_body(std::string_view(data, total)) ? total : 0;
    } catch (const std::system_error& e) {
        self->abort_reason = e.what();
    } catch (const std::exception& e) {
        self->abort_reason = std::string("internal error: ") + e.what();
    }
    return 0;
}

std::size_t PerTransfer::header_callback(char* data, std::size_t size, std::size_t count,
                                         void* user) {
    auto* self = static_cast<PerTransfer*>(user);
    const std::size_t total = size * count;
    try {
        return self->on_header(std::string_view(data, total)) ? total : 0;
    } catch (const std::system_error& e) { // --resume: the partial could not be read or marked
        self->abort_reason = e.what();
    } catch (...) {
        self->abort_reason = "out of memory";
    }
    return 0;
}

int PerTransfer::progress_callback(void* user, curl_off_t, curl_off_t received, curl_off_t,
                                   curl_off_t) {
    return static_cast<PerTransfer*>(user)->on_progress(received) ? 0 : 1;
}

} // namespace imgfetch
