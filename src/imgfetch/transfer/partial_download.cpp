#include "imgfetch/transfer/partial_download.hpp"

#include "imgfetch/transfer/per_transfer.hpp"
#include "imgfetch/transfer/resume_partial.hpp"

namespace imgfetch {

void open_partial(PerTransfer& transfer) {
    ResumeState& state = transfer.resume;
    state.partial = AtomicFile::open_resumable(transfer.ctx.dir, resume_name_for(transfer.task));
    if (!state.partial) {
        return; // another transfer of the same URL holds it: this one goes without
    }
    if (const std::optional<ResumePoint> point = resume_point_of(*state.partial)) {
        add_resume_headers(transfer.request_headers, *point);
        state.offset = point->offset;
        state.keepable = true;
    } else {
        state.partial->truncate(); // nothing that can be continued: from the first byte
    }
    transfer.body.write_into(*state.partial);
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
