#include "imgfetch/report/timeline_bars.hpp"

#include <fmt/format.h>

#include "imgfetch/util/text_escape.hpp"

namespace imgfetch::detail {

namespace {

// Tooltip texts are cut here: a list line may hold a 64 KiB URL.
constexpr std::size_t k_max_tooltip_url_bytes = 200;
constexpr std::size_t k_max_tooltip_error_bytes = 300;

} // namespace

std::size_t style_index(Status status) {
    for (std::size_t i = 0; i < k_timeline_styles.size(); ++i) {
        if (k_timeline_styles[i].status == status) {
            return i;
        }
    }
    return k_timeline_styles.size() - 1;
}

bool is_drawn(const TransferResult& result) {
    return result.worker && result.start && result.end;
}

std::string bar_tooltip(const TransferResult& r) {
    std::string text = xml_text(r.url, k_max_tooltip_url_bytes);
    text += fmt::format("&#10;{}", to_string(r.status));
    if (r.http_status) {
        text += fmt::format(", HTTP {}", *r.http_status);
    }
    text +=
        fmt::format(", {} bytes, {} attempt{}", r.bytes, r.attempts, r.attempts == 1 ? "" : "s");
    text +=
        fmt::format("&#10;{:.3f} s to {:.3f} s ({:.3f} s)", *r.start, *r.end, *r.end - *r.start);
    if (!r.error.empty()) {
        text += "&#10;" + xml_text(r.error, k_max_tooltip_error_bytes);
    }
    return text;
}

void append_bar(SpillLog& bars, BarRecord record, std::string_view tooltip) {
    record.tooltip_size = static_cast<std::uint32_t>(tooltip.size()); // cut texts: < 4 GiB
    bars.append({reinterpret_cast<const char*>(&record), sizeof record});
    bars.append(tooltip);
}

} // namespace imgfetch::detail
