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

// Where every result of a run ends up: workers and the main thread hand results in; the
// main thread reads them out after the workers have been joined. Counts are always kept;
// whole records only when `keep_records` (a report was asked for), so memory stays flat
// otherwise. Thread-safe.
class ResultSink {
public:
    explicit ResultSink(bool keep_records) : m_keep_records(keep_records) {}

    // Logs a failed result and records it. Thread-safe. Never throws: a result that cannot be
    // logged or stored (out of memory) is still counted.
    void add(TransferResult result) noexcept;

    Summary summary() const;

    // The records sorted in list order. Call once, after every producer has finished.
    std::vector<TransferResult> take_records();

private:
    const bool m_keep_records;

    mutable std::mutex m_mutex; // guards m_summary and m_records
    Summary m_summary;
    std::vector<TransferResult> m_records;
    bool m_records_complete = true; // false once a record could not be stored (out of memory)
};

} // namespace imgfetch
