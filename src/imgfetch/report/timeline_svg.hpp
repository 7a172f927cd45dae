#pragma once

#include <string>

#include "imgfetch/report/report.hpp"
#include "imgfetch/report/timeline_bars.hpp"
#include "imgfetch/util/spill_log.hpp"

namespace imgfetch::detail {

// The SVG document of timeline.hpp from what TimelineRecorder gathered: title, legend, lanes,
// time axis, and the bars of `bars` (see timeline_bars.hpp), detailed with tooltips up to
// k_timeline_max_detailed_bars, else merged per lane, outcome and pixel column. Reads `bars`
// once or twice, never changes it. Throws what for_each_bar() throws. Not thread-safe for the
// same `bars`.
std::string draw_timeline_svg(const RunInfo& info, const TimelineFacts& facts,
                              const SpillLog& bars);

} // namespace imgfetch::detail
