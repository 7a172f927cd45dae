#include "imgfetch/report/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "imgfetch/files/atomic_file.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

// Geometry, in SVG user units (pixels).
constexpr double k_width = 1000;
constexpr double k_left = 100; // room for the lane labels
constexpr double k_right = 24;
constexpr double k_plot_width = k_width - k_left - k_right;
constexpr double k_plot_top = 62;
constexpr double k_min_bar_width = 0.5; // a 1 ms transfer in a 60 s run is still visible
constexpr std::size_t k_max_ticks = 10;
// Tooltip texts are cut here: a list line may hold a 64 KiB URL.
constexpr std::size_t k_max_tooltip_url_bytes = 200;
constexpr std::size_t k_max_tooltip_error_bytes = 300;

struct StatusStyle {
    Status status;
    const char* colour;
};

// Legend order; compact mode also paints in this order, so failures end up on top.
constexpr std::array<StatusStyle, 5> k_styles{{
    {Status::ok, "#2e9d4f"},
    {Status::not_modified, "#1a73e8"},
    {Status::skipped, "#9aa0a6"},
    {Status::duplicate, "#f9ab00"},
    {Status::failed, "#d93025"},
}};

std::size_t style_index(Status status) {
    for (std::size_t i = 0; i < k_styles.size(); ++i) {
        if (k_styles[i].status == status) {
            return i;
        }
    }
    return k_styles.size() - 1;
}

// Escapes text for XML content and attribute values. The input must be valid UTF-8 without
// control characters: run it through printable() first.
std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
            break;
        }
    }
    return out;
}

// Untrusted text (URLs, server errors) as XML text: control characters and invalid UTF-8
// become \xNN (XML 1.0 allows neither), long text is cut on a character boundary.
std::string xml_text(std::string_view untrusted, std::size_t max_bytes) {
    std::string shown = printable(untrusted);
    if (shown.size() > max_bytes) {
        std::size_t cut = max_bytes;
        while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0U) == 0x80U) {
            --cut;
        }
        shown.resize(cut);
        shown += "...";
    }
    return xml_escape(shown);
}

bool is_drawn(const TransferResult& result) {
    return result.worker && result.start && result.end;
}

// A round step (1, 2 or 5 times a power of ten) that gives at most k_max_ticks ticks.
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

// The decimals a tick label needs to show `step` exactly: 0.05 -> 2, 2 -> 0.
int tick_decimals(double step) {
    return std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
}

std::string number(double value) {
    return fmt::format("{:.2f}", value);
}

std::string tooltip(const TransferResult& r) {
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

// What the log of a TimelineRecorder holds per drawn result, followed by `tooltip_size` bytes
// of its tooltip (none once the chart has too many bars for tooltips).
struct BarRecord {
    unsigned worker = 0;
    Status status = Status::ok;
    double start = 0;
    double end = 0;
    std::uint32_t tooltip_size = 0;
};

class SvgTimeline {
public:
    struct Facts {
        std::size_t drawn = 0;
        std::size_t not_drawn = 0;
        std::array<std::size_t, k_styles.size()> counts{};
        unsigned lanes_used = 0;
        double last_end = 0;
        bool any_end = false;
    };

    SvgTimeline(const RunInfo& info, const Facts& facts, const SpillLog& bars)
        : m_info(info), m_bars(bars), m_drawn(facts.drawn), m_not_drawn(facts.not_drawn),
          m_counts(facts.counts) {
        // Never drop a bar, whatever `jobs` says.
        m_lanes = std::max({1U, info.jobs, facts.lanes_used});
        m_span = facts.any_end ? std::max(info.seconds, facts.last_end) : info.seconds;
        if (!(m_span > 0)) {
            m_span = 1; // an empty or instant run still gets an axis
        }
        m_lane_height = std::clamp(std::floor(480.0 / m_lanes), 4.0, 22.0);
        m_bar_height = std::max(2.0, std::floor(m_lane_height * 0.7));
        m_axis_y = k_plot_top + m_lane_height * m_lanes + 4;
        m_height = m_axis_y + 42;
    }

    std::string render() {
        m_out += fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
                             "height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" "
                             "font-size=\"12\">\n",
                             number(k_width), number(m_height));
        m_out += "<title>imgfetch timeline</title>\n";
        m_out += fmt::format("<rect class=\"background\" width=\"{}\" height=\"{}\" "
                             "fill=\"#ffffff\"/>\n",
                             number(k_width), number(m_height));
        title();
        legend();
        lanes();
        axis();
        if (m_drawn <= k_timeline_max_detailed_bars) {
            detailed_bars();
        } else {
            compact_bars();
        }
        m_out += "</svg>\n";
        return std::move(m_out);
    }

private:
    double x_of(double seconds) const { return k_left + seconds / m_span * k_plot_width; }
    double lane_top(unsigned lane) const { return k_plot_top + m_lane_height * lane; }
    double bar_top(unsigned lane) const {
        return lane_top(lane) + (m_lane_height - m_bar_height) / 2;
    }

    void title() {
        const bool sequential = m_info.mode == "sequential";
        std::string text = sequential ? "imgfetch --sequential"
                                      : fmt::format("imgfetch -j {} ({} worker{})", m_info.jobs,
                                                    m_info.jobs, m_info.jobs == 1 ? "" : "s");
        text += fmt::format(": {} transfer{} in {:.2f} s", m_drawn, m_drawn == 1 ? "" : "s",
                            m_info.seconds);
        if (m_not_drawn > 0) {
            text += fmt::format(" ({} result{} without a transfer not drawn)", m_not_drawn,
                                m_not_drawn == 1 ? "" : "s");
        }
        if (m_drawn > k_timeline_max_detailed_bars) {
            text += "; bars merged per pixel";
        }
        m_out += fmt::format("<text class=\"title\" x=\"{}\" y=\"22\" font-size=\"14\" "
                             "font-weight=\"bold\">{}</text>\n",
                             number(k_left), xml_escape(text));
    }

    void legend() {
        m_out += "<g class=\"legend\">\n";
        double x = k_left;
        for (std::size_t i = 0; i < k_styles.size(); ++i) {
            if (k_styles[i].status == Status::duplicate && m_counts[i] == 0) {
                continue; // duplicates never transfer; shown only if one somehow did
            }
            const std::string label =
                fmt::format("{} ({})", to_string(k_styles[i].status), m_counts[i]);
            m_out += fmt::format("<rect class=\"swatch {}\" x=\"{}\" y=\"34\" width=\"12\" "
                                 "height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"44\">{}</text>\n",
                                 to_string(k_styles[i].status), number(x), k_styles[i].colour,
                                 number(x + 16), xml_escape(label));
            x += 30 + 7.0 * static_cast<double>(label.size());
        }
        m_out += "</g>\n";
    }

    void lanes() {
        m_out += "<g class=\"lanes\">\n";
        // Labels on every lane while they fit, else on every n-th.
        const unsigned label_every =
            static_cast<unsigned>(std::max(1.0, std::ceil(12.0 / m_lane_height)));
        const bool sequential = m_info.mode == "sequential";
        for (unsigned lane = 0; lane < m_lanes; ++lane) {
            if (lane % 2 == 1) {
                m_out += fmt::format("<rect class=\"lane\" x=\"{}\" y=\"{}\" width=\"{}\" "
                                     "height=\"{}\" fill=\"#f1f3f4\"/>\n",
                                     number(k_left), number(lane_top(lane)), number(k_plot_width),
                                     number(m_lane_height));
            }
            if (lane % label_every == 0) {
                const std::string label =
                    sequential && m_lanes == 1 ? "main thread" : fmt::format("worker {}", lane);
                m_out += fmt::format("<text class=\"lane-label\" x=\"{}\" y=\"{}\" "
                                     "text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>\n",
                                     number(k_left - 8), number(lane_top(lane) + m_lane_height / 2),
                                     label);
            }
        }
        m_out += "</g>\n";
    }

    void axis() {
        const double step = tick_step(m_span);
        const int decimals = tick_decimals(step);
        m_out += "<g class=\"axis\">\n";
        m_out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                             "stroke=\"#5f6368\"/>\n",
                             number(k_left), number(m_axis_y), number(k_left + k_plot_width));
        // Ticks by index, not by accumulating `step`, so rounding cannot add or lose one.
        const auto ticks = static_cast<std::size_t>(std::floor(m_span / step + 1e-9));
        for (std::size_t i = 0; i <= ticks; ++i) {
            const double seconds = static_cast<double>(i) * step;
            const double x = x_of(seconds);
            m_out += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" "
                                 "y2=\"{2}\" stroke=\"#dadce0\"/>\n",
                                 number(x), number(k_plot_top), number(m_axis_y));
            m_out += fmt::format("<line class=\"tick\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" "
                                 "y2=\"{2}\" stroke=\"#5f6368\"/>\n",
                                 number(x), number(m_axis_y), number(m_axis_y + 5));
            m_out += fmt::format("<text class=\"tick-label\" x=\"{}\" y=\"{}\" "
                                 "text-anchor=\"middle\">{:.{}f} s</text>\n",
                                 number(x), number(m_axis_y + 18), seconds, decimals);
        }
        m_out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#5f6368\">"
                             "seconds since the run started</text>\n",
                             number(k_left + k_plot_width), number(m_axis_y + 34));
        m_out += "</g>\n";
    }

    // Calls `bar` with every drawn result's record and tooltip, in list order.
    template <typename Bar>
    void for_each_bar(Bar&& bar) const {
        SpillLogReader reader(m_bars);
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

    void detailed_bars() {
        // A thin white edge tells back-to-back transfers of one worker apart.
        m_out += "<g class=\"bars\" stroke=\"#ffffff\" stroke-width=\"0.5\">\n";
        for_each_bar([this](const BarRecord& r, const std::string& tooltip) {
            const StatusStyle& style = k_styles[style_index(r.status)];
            const double x = x_of(r.start);
            const double width = std::max(k_min_bar_width, x_of(r.end) - x);
            m_out += fmt::format("<rect class=\"bar {}\" x=\"{}\" y=\"{}\" width=\"{}\" "
                                 "height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                                 to_string(r.status), number(x), number(bar_top(r.worker)),
                                 number(width), number(m_bar_height), style.colour, tooltip);
        });
        m_out += "</g>\n";
    }

    // Beyond k_timeline_max_detailed_bars: per lane and status, the whole pixel columns the
    // bars cover, merged into runs. At most one rect per run, so the file is bounded by
    // lanes x statuses x width, however many downloads there were. The columns a bar covers,
    // [floor(x of start), max(that + 1, ceil(x of end))), are marked in a bitmap per lane and
    // status; a run of marked columns is a run of bars that overlap or touch.
    void compact_bars() {
        // Times lie in [0, span], so columns in [k_left, k_width]; the margin only guards the
        // bitmap.
        constexpr long k_columns = static_cast<long>(k_width) + 2;
        const auto column = [](double x) { return std::clamp(x, 0.0, double(k_columns)); };
        std::vector<std::array<std::vector<bool>, k_styles.size()>> covered(m_lanes);
        for_each_bar([&](const BarRecord& r, const std::string& /*tooltip*/) {
            const auto first = static_cast<long>(std::floor(column(x_of(r.start))));
            const auto last = std::min(
                k_columns, std::max(first + 1, static_cast<long>(std::ceil(column(x_of(r.end))))));
            std::vector<bool>& bits = covered[r.worker][style_index(r.status)];
            if (bits.empty()) {
                bits.resize(static_cast<std::size_t>(k_columns));
            }
            for (long c = first; c < last; ++c) {
                bits[static_cast<std::size_t>(c)] = true;
            }
        });
        m_out += "<g class=\"bars\">\n";
        for (std::size_t style = 0; style < k_styles.size(); ++style) {
            for (unsigned lane = 0; lane < m_lanes; ++lane) {
                const std::vector<bool>& bits = covered[lane][style];
                for (std::size_t c = 0; c < bits.size();) {
                    if (!bits[c]) {
                        ++c;
                        continue;
                    }
                    const std::size_t first = c;
                    while (c < bits.size() && bits[c]) {
                        ++c;
                    }
                    m_out +=
                        fmt::format("<rect class=\"bar {}\" x=\"{}\" y=\"{}\" "
                                    "width=\"{}\" height=\"{}\" fill=\"{}\"/>\n",
                                    to_string(k_styles[style].status), first, number(bar_top(lane)),
                                    c - first, number(m_bar_height), k_styles[style].colour);
                }
            }
        }
        m_out += "</g>\n";
    }

    const RunInfo& m_info;
    const SpillLog& m_bars;
    unsigned m_lanes = 1;
    double m_span = 1;
    double m_lane_height = 22;
    double m_bar_height = 15;
    double m_axis_y = 0;
    double m_height = 0;
    std::size_t m_drawn = 0;
    std::size_t m_not_drawn = 0;
    std::array<std::size_t, k_styles.size()> m_counts{};
    std::string m_out;
};

} // namespace

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
    if (!is_drawn(r)) {
        ++m_not_drawn;
        return;
    }
    ++m_drawn;
    ++m_counts[style_index(r.status)];
    m_lanes_used = std::max(m_lanes_used, *r.worker + 1);
    m_last_end = m_any_end ? std::max(m_last_end, *r.end) : *r.end;
    m_any_end = true;
    // Tooltips only while the chart can still be detailed: past that, none is drawn.
    const std::string text = m_drawn <= k_timeline_max_detailed_bars ? tooltip(r) : std::string();
    BarRecord record;
    record.worker = *r.worker;
    record.status = r.status;
    record.start = *r.start;
    record.end = *r.end;
    record.tooltip_size = static_cast<std::uint32_t>(text.size()); // cut texts: < 4 GiB
    m_bars.append({reinterpret_cast<const char*>(&record), sizeof record});
    m_bars.append(text);
}

std::string TimelineRecorder::render(const RunInfo& info) const {
    if (!m_error.empty()) {
        throw std::runtime_error(m_error);
    }
    SvgTimeline::Facts facts;
    facts.drawn = m_drawn;
    facts.not_drawn = m_not_drawn;
    facts.counts = m_counts;
    facts.lanes_used = m_lanes_used;
    facts.last_end = m_last_end;
    facts.any_end = m_any_end;
    return SvgTimeline(info, facts, m_bars).render();
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
