#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "imgfetch/report/result_order.hpp"
#include "imgfetch/transfer/transfer_result.hpp"

namespace imgfetch {

struct Summary {
    std::size_t total = 0;
    std::size_t ok = 0;
    std::size_t failed = 0;
    std::size_t skipped = 0;
    std::size_t not_modified = 0;
    std::size_t duplicate = 0;
    std::size_t filtered = 0;
    std::uint64_t bytes = 0;
    std::uint64_t connections = 0;    // new connections the transfers opened (reuse: fewer)
    std::uint64_t tls_handshakes = 0; // those of them over https
};

// Which whole records a ResultSink keeps: all, only the failed ones, or none.
enum class KeepRecords { none, failed, all };

// Takes a run's results in list order, one at a time, while the run goes on: what the report,
// the failed list and the timeline are written from.
class ResultConsumer {
public:
    virtual ~ResultConsumer() = default;
    // Called by the ResultSink with its lock held, from whichever thread completed the order
    // (a worker or the main thread), never concurrently. Must not throw: a consumer keeps its
    // own errors and reports them when its output is written.
    virtual void take(const TransferResult& result) noexcept = 0;
};

// Where every result of a run ends up: workers and the main thread hand results in. Counts
// are always kept. Then either whole records as `keep` says (read out with take_records()
// after the workers have been joined), or, for a run with outputs, nothing: each result goes
// on to a ResultConsumer in list order, through a ResultOrder whose memory is bounded however
// long the list. Thread-safe.
class ResultSink {
public:
    explicit ResultSink(KeepRecords keep) : m_keep(keep) {}
    explicit ResultSink(bool keep_records)
        : ResultSink(keep_records ? KeepRecords::all : KeepRecords::none) {}
    // Streams every result to `in_order` (which must outlive the sink), in list order.
    explicit ResultSink(ResultConsumer& in_order, ResultOrder::Limits limits = {});

    // The main thread is about to hand the task `seq` to a worker (see ResultOrder::expect):
    // results after a gap in the seqs (another shard's lines) need not wait for the end.
    // Thread-safe.
    void expect(std::size_t seq) noexcept;

    // Logs a failed result and records it. Thread-safe. Never throws: a result that cannot be
    // logged or stored (out of memory, a failed temporary file) is still counted.
    void add(TransferResult result) noexcept;

    // The run is over (also when interrupted): hands the consumer every result still waiting,
    // in list order. Call once, after every producer has finished.
    void finish();

    Summary summary() const;

    // The records sorted in list order. Call once, after every producer has finished.
    std::vector<TransferResult> take_records();

private:
    void store(TransferResult&& result);

    const KeepRecords m_keep;
    ResultConsumer* const m_in_order = nullptr;

    // Guards m_summary, m_records, m_order (and so every call into m_in_order) and m_lost.
    mutable std::mutex m_mutex;
    Summary m_summary;
    std::vector<TransferResult> m_records;
    std::optional<ResultOrder> m_order; // set when streaming to m_in_order
    std::size_t m_lost = 0;             // results that could not be stored (out of memory)
};

} // namespace imgfetch
