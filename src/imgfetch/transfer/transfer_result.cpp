#include "imgfetch/transfer/transfer_result.hpp"

#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

std::string_view to_string(Status status) {
    switch (status) {
    case Status::ok:
        return "ok";
    case Status::failed:
        return "failed";
    case Status::skipped:
        return "skipped";
    case Status::not_modified:
        return "not_modified";
    case Status::duplicate:
        return "duplicate";
    case Status::filtered:
        return "filtered";
    }
    return "failed";
}

TransferResult failed_result(std::size_t seq, std::size_t line, const std::string& url,
                             std::string error) {
    TransferResult result;
    result.seq = seq;
    result.line = line;
    result.url = redact_credentials(url);
    result.source_url = url;
    result.status = Status::failed;
    result.error = std::move(error);
    return result;
}

TransferResult failed_result(const Task& task, std::string error) {
    TransferResult result = failed_result(task.seq, task.line, task.url, std::move(error));
    result.file_name = task.file_name;
    result.page = task.page;
    return result;
}

TransferResult result_for(const Task& task, unsigned worker) {
    TransferResult result;
    result.seq = task.seq;
    result.line = task.line;
    result.url = redact_credentials(task.url);
    result.source_url = task.url;
    result.file_name = task.file_name;
    result.page = task.page;
    result.worker = worker;
    return result;
}

} // namespace imgfetch
