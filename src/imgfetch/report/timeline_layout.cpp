#include "imgfetch/report/timeline_layout.hpp"

#include <algorithm>
#include <cmath>

namespace imgfetch::detail {

namespace {

constexpr std::size_t k_max_ticks = 10;

} // namespace

TimelineLayout::TimelineLayout(const RunInfo& info, const TimelineFacts& facts) {
    // Never drop a bar, whatever `jobs` says.
    m_lanes = std::max({1U, info.jobs, facts.lanes_used});
    m_span = facts.any_end ? std::max(info.seconds, facts.last_end) : info.seconds;
    if (!(m_span > 0)) {
        m_span = 1; // an empty or instant run still gets an axis
    }
    m_lane_height = std::clamp(std::floor(480.0 / m_lanes), 4.0, 22.0);
    m_bar_height = std::max(2.0, std::floor(m_lane_height * 0.7));
    m_axis_y = k_timeline_plot_top + m_lane_height * m_lanes + 4;
    m_height = m_axis_y + 42;
}

double tick_step(double span) {
    const double raw = span / static_cast<double>(k_max_ticks);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double multiple : {1.0, 2.0, 5.0, 10.0}) {
        if (multiple * magnitude >= raw) {
            return multiple * magnitude;
        }
    }
    return 10.0 * magnitude;
}

int tick_decimals(double step) {
    return std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

} // namespace imgfetch::detail
