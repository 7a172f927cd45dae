#include "imgfetch/report/timeline.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/report/timeline_svg.hpp"
#include "imgfetch/setup_error.hpp"

// The recorder and the file: what is kept per result (timeline_bars.hpp), the drawing
// (timeline_svg.cpp), and the atomic write.
namespace imgfetch {

std::string render_timeline_svg(const RunInfo& info, const std::vector<TransferResult>& records) {
    // The same code as a run's timeline: the bytes cannot differ.
    TimelineRecorder recorder;
    for (const TransferResult& record : records) {
        recorder.add(record);
    }
    return recorder.render(info);
}

void check_timeline_writable(const std::string& path) {
    try {
        check_file_writable_atomically(path);
    } catch (const std::system_error& e) {
        throw SetupError("cannot write timeline '" + path + "': " + e.what());
    }
}

void write_timeline(const std::string& path, const RunInfo& info,
                    const std::vector<TransferResult>& records) {
    TimelineRecorder recorder;
    for (const TransferResult& record : records) {
        recorder.add(record);
    }
    recorder.write(path, info);
}

// --- TimelineRecorder ------------------------------------------------------------------------

TimelineRecorder::TimelineRecorder(std::string spill_dir)
    : m_bars("the timeline's bars", std::move(spill_dir)) {}

void TimelineRecorder::add(const TransferResult& result) noexcept {
    if (!m_error.empty()) {
        return;
    }
    try {
        append(result);
    } catch (const std::exception& e) {
        m_error = e.what();
        if (m_error.empty()) {
            m_error = "unknown error";
        }
    }
}

void TimelineRecorder::append(const TransferResult& r) {
    if (!detail::is_drawn(r)) {
        ++m_facts.not_drawn;
        return;
    }
    ++m_facts.drawn;
    ++m_facts.counts[detail::style_index(r.status)];
    m_facts.lanes_used = std::max(m_facts.lanes_used, *r.worker + 1);
    m_facts.last_end = m_facts.any_end ? std::max(m_facts.last_end, *r.end) : *r.end;
    m_facts.any_end = true;
    // Tooltips only while the chart can still be detailed: past that, none is drawn.
    const std::string text =
        m_facts.drawn <= k_timeline_max_detailed_bars ? detail::bar_tooltip(r) : std::string();
    detail::BarRecord record;
    record.worker = *r.worker;
    record.status = r.status;
    record.start = *r.start;
    record.end = *r.end;
    detail::append_bar(m_bars, record, text);
}

std::string TimelineRecorder::render(const RunInfo& info) const {
    if (!m_error.empty()) {
        throw std::runtime_error(m_error);
    }
    return detail::draw_timeline_svg(info, m_facts, m_bars);
}

void TimelineRecorder::write(const std::string& path, const RunInfo& info) const {
    try {
        // The chart is bounded (k_timeline_max_detailed_bars): it fits in memory.
        write_file_atomically(path, render(info));
    } catch (const std::exception& e) {
        throw SetupError("cannot write timeline '" + path + "': " + e.what());
    }
}

} // namespace imgfetch
