#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/spill_log.hpp"

// What the timeline (timeline.hpp) remembers of a run: the outcomes' colours, one record per
// drawn transfer in a SpillLog, and the counts the title and legend show. Shared by the
// recorder (timeline.cpp) and the drawing (timeline_svg.cpp). Pure or not thread-safe, as
// each says.
namespace imgfetch::detail {

struct StatusStyle {
    Status status;
    const char* colour;
};

// Legend order; compact mode also paints in this order, so failures end up on top.
inline constexpr std::array<StatusStyle, 6> k_timeline_styles{{
    {Status::ok, "#2e9d4f"},
    {Status::not_modified, "#1a73e8"},
    {Status::skipped, "#9aa0a6"},
    {Status::duplicate, "#f9ab00"},
    {Status::filtered, "#a142f4"},
    {Status::failed, "#d93025"},
}};

// Pure: the index of `status` in k_timeline_styles (an unknown one counts as failed).
std::size_t style_index(Status status);

// Pure: whether a result is drawn: it has a worker, a start and an end (it started).
bool is_drawn(const TransferResult& result);

// Pure: a drawn result's tooltip, as XML text: URL (credentials as the result holds them,
// already redacted), status, HTTP status, bytes, attempts, times, error; long texts cut.
std::string bar_tooltip(const TransferResult& result);

// What the timeline's log holds per drawn result, followed by `tooltip_size` bytes of its
// tooltip (none once the chart has too many bars for tooltips).
struct BarRecord {
    unsigned worker = 0;
    Status status = Status::ok;
    double start = 0;
    double end = 0;
    std::uint32_t tooltip_size = 0;
};

// Appends `record` (its tooltip_size set here) and its tooltip to `bars`. Throws what
// SpillLog::append throws.
void append_bar(SpillLog& bars, BarRecord record, std::string_view tooltip);

// Calls `bar(record, tooltip)` with every record of `bars`, in the order appended. Throws
// std::runtime_error when the log is corrupted, std::system_error on an I/O error.
template <typename Bar>
void for_each_bar(const SpillLog& bars, Bar&& bar) {
    SpillLogReader reader(bars);
    BarRecord record;
    std::string tooltip;
    while (reader.read(&record, sizeof record)) {
        tooltip.resize(record.tooltip_size);
        if (!reader.read(tooltip.data(), tooltip.size())) {
            throw std::runtime_error("imgfetch's temporary file is corrupted");
        }
        bar(record, tooltip);
    }
}

// The counts the title, legend and layout need, gathered with the records.
struct TimelineFacts {
    std::size_t drawn = 0;
    std::size_t not_drawn = 0;
    std::array<std::size_t, k_timeline_styles.size()> counts{}; // drawn, per legend entry
    unsigned lanes_used = 0; // the highest worker index drawn, plus one
    double last_end = 0;     // the latest end drawn
    bool any_end = false;
};

} // namespace imgfetch::detail
