#pragma once

#include <cstddef>

#include "imgfetch/report/report.hpp"
#include "imgfetch/report/timeline_bars.hpp"

// Where things go on the timeline chart: the page, the lanes, the time axis. Pure.
namespace imgfetch::detail {

// Geometry, in SVG user units (pixels).
inline constexpr double k_timeline_width = 1000;
inline constexpr double k_timeline_left = 100; // room for the lane labels
inline constexpr double k_timeline_right = 24;
inline constexpr double k_timeline_plot_width =
    k_timeline_width - k_timeline_left - k_timeline_right;
inline constexpr double k_timeline_plot_top = 62;

// The lanes and the time span of one chart, from the run and what was drawn.
class TimelineLayout {
public:
    TimelineLayout(const RunInfo& info, const TimelineFacts& facts);

    unsigned lanes() const { return m_lanes; }
    double span() const { return m_span; } // seconds the axis covers, > 0
    double lane_height() const { return m_lane_height; }
    double bar_height() const { return m_bar_height; }
    double axis_y() const { return m_axis_y; }
    double height() const { return m_height; } // of the whole chart

    double x_of(double seconds) const {
        return k_timeline_left + seconds / m_span * k_timeline_plot_width;
    }
    double lane_top(unsigned lane) const { return k_timeline_plot_top + m_lane_height * lane; }
    double bar_top(unsigned lane) const {
        return lane_top(lane) + (m_lane_height - m_bar_height) / 2;
    }

private:
    unsigned m_lanes = 1;
    double m_span = 1;
    double m_lane_height = 22;
    double m_bar_height = 15;
    double m_axis_y = 0;
    double m_height = 0;
};

// A round step (1, 2 or 5 times a power of ten) that gives at most 10 ticks over `span`.
double tick_step(double span);

// The decimals a tick label needs to show `step` exactly: 0.05 -> 2, 2 -> 0.
int tick_decimals(double step);

} // namespace imgfetch::detail
