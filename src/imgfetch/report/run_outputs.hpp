#pragma once

#include <optional>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/report/failed_list.hpp"
#include "imgfetch/report/json_lines.hpp"
#include "imgfetch/report/manifest.hpp"
#include "imgfetch/report/report.hpp"
#include "imgfetch/report/result_sink.hpp"
#include "imgfetch/report/timeline.hpp"

namespace imgfetch {

// The files a run writes about itself: --failed-list, --timeline, --report, --manifest and
// --json-lines. Checked writable before the run (the constructor), fed every result in list
// order while the run goes on (take(), from the ResultSink), written atomically at the end
// (write()), an interrupted run included; --json-lines alone is streamed, a line per result
// as it comes, its summary line written last of all by write(). What each keeps per URL lives
// in temporary files, not in memory. Owned by app.cpp's run(); every take() holds the
// ResultSink's lock, the one lock of all these writers; write() runs after the sink's finish().
class RunOutputs final : public ResultConsumer {
public:
    // Throws SetupError (exit code 2) when one of them could not be written at the end.
    explicit RunOutputs(const OutputOptions& outputs);

    // True when the run writes any of them.
    bool any() const {
        return m_report || m_timeline || m_failed_list || m_manifest || m_json_lines;
    }

    // Called by the ResultSink, serialised by its lock.
    void take(const TransferResult& result) noexcept override;

    // Writes each one, even when another could not be written (the failed list matters most
    // for a rerun), the --json-lines summary last; then throws the first failure (SetupError,
    // exit code 2), the others logged. Call once.
    void write(const RunInfo& info, const Summary& summary, bool interrupted);

private:
    const OutputOptions& m_outputs;
    std::optional<FailedListWriter> m_failed_list;
    std::optional<TimelineRecorder> m_timeline;
    std::optional<JsonReportWriter> m_report;
    std::optional<ManifestWriter> m_manifest;
    std::optional<JsonLinesWriter> m_json_lines;
};

} // namespace imgfetch
