#include "imgfetch/report/run_outputs.hpp"

#include <spdlog/spdlog.h>

#include "imgfetch/setup_error.hpp"

namespace imgfetch {

RunOutputs::RunOutputs(const OutputOptions& outputs) : m_outputs(outputs) {
    if (!outputs.report_file.empty()) {
        check_report_writable(outputs.report_file);
        m_report.emplace();
    }
    if (!outputs.timeline_file.empty()) {
        check_timeline_writable(outputs.timeline_file);
        m_timeline.emplace();
    }
    if (!outputs.failed_list_file.empty()) {
        check_failed_list_writable(outputs.failed_list_file);
        m_failed_list.emplace();
    }
    if (!outputs.manifest_file.empty()) {
        check_manifest_writable(outputs.manifest_file);
        m_manifest.emplace();
    }
    if (!outputs.json_lines_file.empty()) {
        m_json_lines.emplace(outputs.json_lines_file); // opened now: checked as it is made
    }
}

void RunOutputs::take(const TransferResult& result) noexcept {
    if (m_failed_list) {
        m_failed_list->add(result);
    }
    if (m_timeline) {
        m_timeline->add(result);
    }
    if (m_report) {
        m_report->add(result);
    }
    if (m_manifest) {
        m_manifest->add(result);
    }
    if (m_json_lines) {
        m_json_lines->add(result);
    }
}

void RunOutputs::write(const RunInfo& info, const Summary& summary, bool interrupted) {
    std::optional<SetupError> first_error;
    const auto attempt = [&first_error](const auto& write_one) {
        try {
            write_one();
        } catch (const SetupError& e) {
            if (first_error) {
                spdlog::error("{}", e.what());
            } else {
                first_error = e;
            }
        }
    };
    if (m_failed_list) {
        attempt([&] { m_failed_list->write(m_outputs.failed_list_file, interrupted); });
    }
    if (m_timeline) {
        attempt([&] { m_timeline->write(m_outputs.timeline_file, info); });
    }
    if (m_report) {
        attempt([&] { m_report->write(m_outputs.report_file, info, summary); });
    }
    if (m_manifest) {
        attempt([&] { m_manifest->write(m_outputs.manifest_file); });
    }
    // Last: a reader that sees the summary line finds every other output in place.
    if (m_json_lines) {
        attempt([&] { m_json_lines->finish(summary); });
    }
    if (first_error) {
        throw *first_error;
    }
}

} // namespace imgfetch
