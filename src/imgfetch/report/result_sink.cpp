#include "imgfetch/report/result_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

void count(Summary& summary, const TransferResult& result) {
    ++summary.total;
    summary.bytes += result.bytes;
    summary.connections += result.connections;
    summary.tls_handshakes += result.tls_handshakes;
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
    case Status::filtered:
        ++summary.filtered;
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

ResultSink::ResultSink(ResultConsumer& in_order, ResultOrder::Limits limits)
    : m_keep(KeepRecords::none), m_in_order(&in_order) {
    m_order.emplace([this](TransferResult&& result) { m_in_order->take(result); },
                    std::move(limits));
}

void ResultSink::expect(std::size_t seq) noexcept {
    std::lock_guard lock(m_mutex); // guards m_order; may hand results on to m_in_order
    if (!m_order) {
        return;
    }
    try {
        m_order->expect(seq);
    } catch (...) {
        // Out of memory for the set of expected seqs: the order is still right, the results
        // after a gap only wait for finish().
    }
}

void ResultSink::add(TransferResult result) noexcept {
    try {
        log_result(result);
    } catch (...) {
        // A log line that cannot be formatted or written must not lose the result.
    }
    // Held while the result is stored or handed on in list order: what m_in_order does (a
    // formatted line appended to a buffer, a 64 KiB write now and then) is short next to a
    // download, and one lock keeps the order and the consumer's state consistent.
    std::lock_guard lock(m_mutex);
    count(m_summary, result);
    try {
        store(std::move(result));
    } catch (...) {
        ++m_lost; // out of memory or a failed temporary file: the counts stay right
    }
}

void ResultSink::store(TransferResult&& result) {
    if (m_order) {
        m_order->add(std::move(result));
        return;
    }
    const bool keep = m_keep == KeepRecords::all ||
                      (m_keep == KeepRecords::failed && result.status == Status::failed);
    if (keep) {
        m_records.push_back(std::move(result));
    }
}

void ResultSink::finish() {
    std::size_t lost = 0;
    {
        std::lock_guard lock(m_mutex);
        if (m_order) {
            try {
                m_order->finish();
                spdlog::debug("results put back in list order: at most {} waited in memory, {} "
                              "in a temporary file",
                              m_order->peak_waiting_in_memory(), m_order->total_spilled());
            } catch (const std::exception& e) {
                spdlog::error("cannot read back results kept in a temporary file: {}", e.what());
                m_lost += m_order->waiting_in_memory() + m_order->waiting_spilled();
            }
        }
        lost = m_lost;
    }
    if (lost > 0) {
        // Nothing is lost silently: the counts are right, but some entries could not be kept.
        spdlog::error("out of memory while recording results: the report, failed list and "
                      "timeline lack {} of them",
                      lost);
    }
}

Summary ResultSink::summary() const {
    std::lock_guard lock(m_mutex);
    return m_summary;
}

std::vector<TransferResult> ResultSink::take_records() {
    std::vector<TransferResult> records;
    std::size_t lost = 0;
    {
        std::lock_guard lock(m_mutex);
        records.swap(m_records);
        lost = m_lost;
    }
    if (lost > 0) {
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
