// download_link as named steps over one PerTransfer: prepare -> perform -> classify -> commit.
#include "imgfetch/transfer/download.hpp"

#include <exception>
#include <optional>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/list/name_template.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/transfer/content_identity.hpp"
#include "imgfetch/transfer/download_archive.hpp"
#include "imgfetch/transfer/easy_options.hpp"
#include "imgfetch/transfer/existing_file.hpp"
#include "imgfetch/transfer/failure_text.hpp"
#include "imgfetch/transfer/partial_download.hpp"
#include "imgfetch/transfer/per_transfer.hpp"
#include "imgfetch/transfer/redirect_follow.hpp"
#include "imgfetch/transfer/retry_policy.hpp"
#include "imgfetch/ui/progress.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

bool is_success(long http_status) {
    return http_status >= 200 && http_status < 300;
}

// Prepare: what the request needs before it is sent: for --existing update, the conditional
// headers about `existing` (or the validators of --archive's row, which a 304 then keeps);
// else, with --resume, the partial download's range; then every libcurl option.
void prepare(PerTransfer& transfer, std::optional<ExistingFile> existing,
             const ArchivedFile* archived) {
    if (transfer.ctx.settings.resume && archived == nullptr && !existing) {
        open_partial(transfer);
    }
    if (archived != nullptr) { // update of an archived URL: its validators, wherever its file is
        transfer.request_headers = validator_headers(archived->etag, archived->last_modified);
        transfer.existing = existing ? std::move(existing) : ExistingFile{archived->path, 0};
    } else if (existing) { // update: ask only for a changed file
        transfer.request_headers = conditional_headers(transfer.ctx.dir, *existing);
        transfer.existing = std::move(existing);
    }
    set_easy_options(transfer);
}

// Perform: the transfer itself, redirects included, with the body streaming into transfer.body.
// `effective_url`: where the last redirect led (redacted), empty without one.
CURLcode perform(PerTransfer& transfer, std::string& effective_url) {
    const ActiveTransfer in_flight(transfer.ctx.progress); // for the progress bar
    std::string final_url;
    const CURLcode code = perform_following_redirects(transfer, final_url);
    effective_url = final_url.empty() ? std::string() : redact_credentials(final_url);
    return code;
}

// The connections this attempt opened (none when it reused one): libcurl's count for the
// transfer, redirects included; TLS handshakes when it ended on an https URL.
void count_connections(CURL* easy, TransferResult& result) {
    long connects = 0;
    const char* scheme = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK || connects <= 0) {
        return;
    }
    result.connections = static_cast<unsigned>(connects);
    if (curl_easy_getinfo(easy, CURLINFO_SCHEME, &scheme) == CURLE_OK && scheme != nullptr &&
        curl_strequal(scheme, "https") != 0) {
        result.tls_handshakes = result.connections;
    }
}

// Classify: what the response and libcurl's code mean. Records the HTTP status and version;
// returns true when the body is to be committed, and otherwise fills in why not (the result
// failed with an error, or not_modified) with the retry advice.
bool classify(PerTransfer& transfer, CURLcode code, Attempt& attempt) {
    TransferResult& result = attempt.result;
    const long http_status = transfer.response.status();
    if (http_status != 0) {
        result.http_status = http_status;
        result.http_version = transfer.response.http_version();
    }
    if (code != CURLE_OK && !transfer.error_body_cut) {
        if (transfer.abort_filtered) { // an image filter said no: not a failure
            result.status = Status::filtered;
            result.reason = transfer.abort_reason;
            return false;
        }
        if (!transfer.abort_reason.empty()) {
            result.error = transfer.abort_reason;
            attempt.retry.retryable = transfer.abort_retryable; // a stall is; a size limit is not
            return false;
        }
        result.error = failure_text(code, transfer);
        attempt.retry.retryable = is_transient_curl_error(code);
        return false;
    }
    if (keep_unchanged(http_status, transfer.existing, transfer.ctx.dir, result)) {
        return false; // our conditional request was answered "unchanged": the file stays
    }
    if (!is_success(http_status)) {
        result.error = "HTTP " + std::to_string(http_status);
        attempt.retry = advice_for_http_status(http_status, transfer.response.retry_after_s());
        return false;
    }
    return true;
}

// The final name: the reserved one, or the server's (--content-disposition: the last segment
// of the reserved path, its folders kept), plus an extension when the reserved name had none.
std::string final_name_of(const PerTransfer& transfer, const std::optional<std::string>& digest) {
    const DownloadContext& ctx = transfer.ctx;
    const std::string& extension = transfer.body.extension();
    if (ctx.settings.content_disposition && ctx.names != nullptr) {
        if (const auto server_name =
                filename_from_content_disposition(transfer.response.content_disposition())) {
            // The server names the file; the folders of the layout or template stay.
            const std::string& listed = transfer.task.file_name;
            const std::size_t slash = listed.rfind('/');
            const std::string folders =
                slash == std::string::npos ? std::string() : listed.substr(0, slash + 1);
            ReservedName reserved = ctx.names->reserve(folders + *server_name);
            if (reserved.needs_extension && !extension.empty()) {
                reserved.name += "." + extension;
            }
            return reserved.name;
        }
    }
    std::string name = transfer.task.file_name;
    if (name.find(k_sha256_field) != std::string::npos) {
        // --name-template with {sha256}: named by content, now that the digest is known.
        name = with_digest(name, digest.value_or("nodigest"));
    }
    if (transfer.task.needs_extension && !extension.empty()) {
        name += "." + extension;
    }
    return name;
}

// Before the rename, so both appear with the file: the server's Last-Modified as its mtime,
// its ETag in an extended attribute (skipped where the filesystem has none: --existing update
// then relies on the mtime alone). `etag` and `last_modified` are the response's, read once.
void stamp_file(PerTransfer& transfer, const std::string& final_name, const std::string& etag,
                std::optional<std::int64_t> last_modified) {
    if (last_modified) {
        transfer.body.file().set_modification_time(*last_modified);
    }
    if (!is_storable_etag(etag)) {
        return;
    }
    try {
        transfer.body.file().set_extended_attribute(k_etag_attribute, etag);
    } catch (const std::system_error& e) {
        // The file itself is fine; only the next --existing update loses the ETag.
        spdlog::warn("{}: ETag not stored: {}", printable(final_name), printable(e.what()));
    }
}

// Commit: a 2xx body that passed the content check goes under its final name, nothing
// partial before it; the replaced file of another type goes.
void commit(PerTransfer& transfer, TransferResult& result) {
    if (std::optional<std::string> refused = transfer.body.finish()) {
        if (transfer.body.refusal_kind() == RefusalKind::filtered) {
            result.status = Status::filtered;
            result.reason = std::move(*refused);
        } else {
            result.error = std::move(*refused);
        }
        return;
    }
    std::optional<std::string> digest = transfer.body.hex_digest();
    const std::string& expected = transfer.task.expected_sha256;
    if (!expected.empty() && digest != expected) {
        // The temporary goes with `transfer`: nothing reaches a final name.
        result.error =
            "checksum mismatch (expected " + expected + ", got " + digest.value_or("") + ")";
        return;
    }
    if (reject_placeholder(transfer.ctx, digest, result)) {
        return; // filtered: the temporary goes with `transfer`
    }
    const std::string final_name = final_name_of(transfer, digest);
    if (transfer.resume.partial) { // a saved file is no partial: the validator goes
        transfer.resume.partial->remove_extended_attribute(k_resume_attribute);
    }
    // Each read walks libcurl's received headers (and the date is parsed): once for the file's
    // stamps and the report both.
    const std::string etag = transfer.response.etag();
    const std::optional<std::int64_t> last_modified = transfer.response.last_modified();
    stamp_file(transfer, final_name, etag, last_modified);
    save_by_content(transfer.ctx, transfer.body.file(), final_name, digest, transfer.body.bytes(),
                    result);
    result.sha256 = std::move(digest);
    remove_replaced_file(transfer.ctx.dir, transfer.task, transfer.existing, final_name,
                         transfer.body.extension());
    result.status = Status::ok;
    result.bytes = transfer.body.bytes();
    result.path = transfer.ctx.dir.path_of(final_name);
    result.saved_name = final_name;
    if (is_storable_etag(etag)) {
        result.etag = etag;
    }
    if (last_modified) {
        result.last_modified = http_date(*last_modified);
    }
}

// What the body sink saw of the body, for the report: the bytes received and the image facts.
void record_body_facts(const PerTransfer& transfer, TransferResult& result) {
    result.received = transfer.body.received();
    result.resumed_from = transfer.resume.resumed_from;
    const ImageFacts& facts = transfer.body.facts();
    if (facts.format) {
        result.format = format_name(*facts.format);
        result.width = facts.width;
        result.height = facts.height;
        result.frames = facts.frames;
    }
}

// An attempt not yet made: the task's result, one attempt, starting now.
Attempt new_attempt(const Task& task, const DownloadContext& ctx, unsigned worker) {
    Attempt attempt{result_for(task, worker), {}};
    attempt.result.attempts = 1;
    attempt.result.start = ctx.clock.seconds_since_start();
    return attempt;
}

// A 416 to our Range: the partial is the whole file already (a run killed before its rename)
// or no longer fits it. It goes, and the attempt starts again from the first byte.
bool unsatisfiable_resume(const PerTransfer& transfer, const TransferResult& result) {
    return transfer.resume.offset > 0 && result.http_status == 416;
}

// One request and what follows it; true when it must be made again from the first byte.
bool transfer_once(CurlSession& session, const Task& task, const DownloadContext& ctx,
                   std::optional<ExistingFile> existing, const ArchivedFile* archived,
                   Attempt& attempt) {
    TransferResult& result = attempt.result;
    PerTransfer transfer{task, ctx, session.handle()};
    prepare(transfer, std::move(existing), archived);
    const CURLcode code = perform(transfer, result.effective_url);
    count_connections(transfer.easy, result);
    const bool complete = classify(transfer, code, attempt);
    if (complete) {
        commit(transfer, result);
        // A truncated or corrupt image is retried like a cut transfer: often transient.
        attempt.retry.retryable = result.status == Status::failed &&
                                  transfer.body.refusal_kind() == RefusalKind::retryable;
    }
    record_body_facts(transfer, result);
    if (unsatisfiable_resume(transfer, result)) {
        return true;
    }
    keep_partial(transfer, attempt, complete);
    return false;
}

} // namespace

Attempt download_link(CurlSession& session, const Task& task, const DownloadContext& ctx,
                      unsigned worker, const ArchivedFile* archived) {
    Attempt attempt = new_attempt(task, ctx, worker);
    TransferResult& result = attempt.result;
    try {
        // One look serves both policies (a stat per probed name, so only one).
        std::optional<ExistingFile> existing = existing_file_for(task, ctx);
        if (existing && ctx.settings.existing == ExistingPolicy::skip) {
            return Attempt{skipped_result(task, ctx, worker, *existing), {}};
        }
        if (transfer_once(session, task, ctx, existing, archived, attempt)) {
            const unsigned connections = result.connections;
            attempt = new_attempt(task, ctx, worker); // from the first byte, as one attempt
            result.connections = connections;
            transfer_once(session, task, ctx, std::move(existing), archived, attempt);
        }
    } catch (const std::exception& e) {
        result.status = Status::failed;
        result.error = e.what();
        attempt.retry = RetryAdvice{};
    }
    if (result.status == Status::failed && result.error.empty()) {
        result.error = "unknown error";
    }
    result.end = ctx.clock.seconds_since_start();
    return attempt;
}

} // namespace imgfetch
