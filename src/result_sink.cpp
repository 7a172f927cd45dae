#include "imgfetch/result_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "imgfetch/text_escape.hpp"

namespace imgfetch {

namespace {

void count(Summary& summary, const TransferResult& result) {
    ++summary.total;
    summary.bytes += result.bytes;
    switch (result.status) {
    case Status::ok:
        ++summary.ok;
        break;
    case Status::failed:
        ++summary.failed;
        break;
    case Status::skipped:
        ++summary.skipped;
        break;
    case Status::not_modified:
        ++summary.not_modified;
        break;
    case Status::duplicate:
        ++summary.duplicate;
        break;
    }
}

void log_result(const TransferResult& result) {
    // Logged outside the sink's lock: spdlog's _mt sinks serialise lines themselves.
    // Per-file lines are debug: skip escaping the URL and path when nobody will see them.
    if (result.status != Status::failed && !spdlog::should_log(spdlog::level::debug)) {
        return;
    }
    switch (result.status) {
    case Status::failed:
        if (result.url.empty()) { // a bad list line: the error names list and line
            spdlog::error("{}", printable(result.error));
        } else {
            spdlog::error("{}: {}", printable(result.url), printable(result.error));
        }
        break;
    case Status::ok:
        spdlog::debug("ok {} -> {} ({} bytes, {:.3f} s, HTTP/{})", printable(result.url),
                      printable(result.path), result.bytes,
                      result.end.value_or(0) - result.start.value_or(0), result.http_version);
        break;
    default:
        spdlog::debug("{} {}", to_string(result.status), printable(result.url));
        break;
    }
}

} // namespace

void ResultSink::add(TransferResult result) noexcept {
    try {
        log_result(result);
    } catch (...) {
        // A log line that cannot be formatted or written must not lose the result.
    }
    std::lock_guard lock(m_mutex); // guards m_summary and m_records; held only to store
    count(m_summary, result);
    const bool keep = m_keep == KeepRecords::all ||
                      (m_keep == KeepRecords::failed && result.status == Status::failed);
    if (keep) {
        try {
            m_records.push_back(std::move(result));
        } catch (...) {
            m_records_complete = false; // out of memory: the counts stay right
        }
    }
}

Summary ResultSink::summary() const {
    std::lock_guard lock(m_mutex);
    return m_summary;
}

std::vector<TransferResult> ResultSink::take_records() {
    std::vector<TransferResult> records;
    bool complete = true;
    {
        std::lock_guard lock(m_mutex);
        records.swap(m_records);
        complete = m_records_complete;
    }
    if (!complete) {
        // Nothing is lost silently: the counts are right, but some entries could not be kept.
        spdlog::error("out of memory while recording results: the report lists only {} of them",
                      records.size());
    }
    // Sorted outside the lock: the records are ours now.
    std::sort(records.begin(), records.end(),
              [](const TransferResult& a, const TransferResult& b) { return a.seq < b.seq; });
    return records;
}

} // namespace imgfetch
