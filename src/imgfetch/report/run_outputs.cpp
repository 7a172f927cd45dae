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
}

void RunOutputs::write(const RunInfo& info, const Summary& summary, bool interrupted) const {
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
    if (first_error) {
        throw *first_error;
    }
}

} // namespace imgfetch
