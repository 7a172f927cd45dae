#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "imgfetch/transfer_result.hpp"

namespace imgfetch {

struct Summary {
    std::size_t total = 0;
    std::size_t ok = 0;
    std::size_t failed = 0;
    std::size_t skipped = 0;
    std::size_t not_modified = 0;
    std::size_t duplicate = 0;
    std::uint64_t bytes = 0;
};

// Which whole records a ResultSink keeps: all (a report or a timeline), only the failed ones
// (--failed-list alone), or none.
enum class KeepRecords { none, failed, all };

// Where every result of a run ends up: workers and the main thread hand results in; the
// main thread reads them out after the workers have been joined. Counts are always kept;
// whole records only as `keep` says, so memory stays flat otherwise. Thread-safe.
class ResultSink {
public:
    explicit ResultSink(KeepRecords keep) : m_keep(keep) {}
    explicit ResultSink(bool keep_records)
        : ResultSink(keep_records ? KeepRecords::all : KeepRecords::none) {}

    // Logs a failed result and records it. Thread-safe. Never throws: a result that cannot be
    // logged or stored (out of memory) is still counted.
    void add(TransferResult result) noexcept;

    Summary summary() const;

    // The records sorted in list order. Call once, after every producer has finished.
    std::vector<TransferResult> take_records();

private:
    const KeepRecords m_keep;

    mutable std::mutex m_mutex; // guards m_summary and m_records
    Summary m_summary;
    std::vector<TransferResult> m_records;
    bool m_records_complete = true; // false once a record could not be stored (out of memory)
};

} // namespace imgfetch
