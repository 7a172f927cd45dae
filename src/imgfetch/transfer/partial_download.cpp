#include "imgfetch/transfer/partial_download.hpp"

#include <mutex>
#include <system_error>

#include <spdlog/spdlog.h>

#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/util/text_escape.hpp"

#include "imgfetch/transfer/per_transfer.hpp"
#include "imgfetch/transfer/resume_partial.hpp"

namespace imgfetch {

void open_partial(PerTransfer& transfer) {
    ResumeState& state = transfer.resume;
    std::optional<ResumePoint> point;
    try {
        state.partial =
            AtomicFile::open_resumable(transfer.ctx.dir, resume_name_for(transfer.task));
        if (state.partial) {
            point = resume_point_of(*state.partial);
        }
    } catch (const std::system_error& e) {
        // Something else under the name, no locks here...: the download itself can still go.
        spdlog::warn("{}: --resume: {}; downloading without a partial file",
                     printable(redact_credentials(transfer.task.url)), printable(e.what()));
        state.partial.reset();
        return;
    }
    if (!state.partial) {
        return; // another transfer of the same URL holds it: this one goes without
    }
    if (point) {
        add_resume_headers(transfer.request_headers, *point);
        state.offset = point->offset;
        state.validator = point->validator;
        state.keepable = true;
    } else {
        state.partial->truncate(); // nothing that can be continued: from the first byte
    }
    transfer.body.write_into(*state.partial);
}

void warn_partials_unsupported(const OutputDir& dir) {
    static std::once_flag warned; // one warning a run, from whichever worker sees it first
    std::call_once(warned, [&dir] {
        spdlog::warn("--resume: '{}' has no user extended attributes (user.imgfetch.resume): "
                     "no partial download can be kept there",
                     printable(dir.path()));
    });
}

void keep_partial(PerTransfer& transfer, const Attempt& attempt, bool complete) {
    const ResumeState& state = transfer.resume;
    const bool may_pass = attempt.retry.retryable || transfer.ctx.stop.stop_requested();
    if (state.partial && state.keepable && !complete && attempt.result.status == Status::failed &&
        may_pass && state.partial->size() > 0) {
        state.partial->keep();
    }
}

} // namespace imgfetch
