#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "imgfetch/report/report.hpp"
#include "imgfetch/report/timeline_bars.hpp"
#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/spill_log.hpp"

namespace imgfetch {

// --timeline FILE.svg: a Gantt chart of the run. One lane per worker (one in --sequential),
// one bar per transfer from its start to its end (retries included), coloured by outcome,
// a legend with counts, a time axis in seconds and a title line (mode, workers, transfers,
// wall time).
//
// Drawn: results with a worker, a start and an end, i.e. every transfer that started. Not
// drawn (the title counts them): bad list lines, duplicates, and tasks that never started
// (interrupted before they started).
//
// Up to k_timeline_max_detailed_bars bars, each bar is its own <rect class="bar STATUS"> with
// a <title> tooltip (URL with credentials redacted, status, HTTP status, bytes, attempts,
// times, error). Beyond that the chart stays bounded: per lane and outcome, bars that touch
// the same pixel columns merge into one rect, without tooltips, so the file grows with the
// number of workers, not of downloads.
inline constexpr std::size_t k_timeline_max_detailed_bars = 10000;

// Pure: the SVG document (UTF-8, well-formed XML; every text escaped).
std::string render_timeline_svg(const RunInfo& info, const std::vector<TransferResult>& records);

// Throws SetupError now when the timeline could not be written at the end of the run.
void check_timeline_writable(const std::string& path);

// Writes render_timeline_svg() to `path` through a temporary and a rename. Throws SetupError.
void write_timeline(const std::string& path, const RunInfo& info,
                    const std::vector<TransferResult>& records);

// The timeline of a run, gathered as its results arrive in memory that does not grow with the
// list: add() takes each result in list order and keeps only what the bars need (lane,
// outcome, start, end; the tooltip while the chart can still be detailed) in a SpillLog
// (64 KiB in memory, the rest in an unnamed temporary file in `spill_dir`); the chart itself
// is bounded (see above). The bytes are exactly render_timeline_svg()'s. Not thread-safe.
class TimelineRecorder {
public:
    explicit TimelineRecorder(std::string spill_dir = default_spill_dir());

    // Never throws: a failure (out of memory, the temporary file) is kept, and render() and
    // write() throw it.
    void add(const TransferResult& result) noexcept;

    // Throws std::runtime_error when an add() failed.
    std::string render(const RunInfo& info) const;
    // Throws SetupError.
    void write(const std::string& path, const RunInfo& info) const;

    std::size_t memory_bytes() const { return m_bars.memory_bytes(); }

private:
    void append(const TransferResult& result);

    SpillLog m_bars;               // per drawn result, in list order (see timeline_bars.hpp)
    detail::TimelineFacts m_facts; // of the results added
    std::string m_error;           // the first failure of add()
};

} // namespace imgfetch
