#include "imgfetch/report/timeline_svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "imgfetch/report/timeline.hpp"
#include "imgfetch/report/timeline_layout.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch::detail {

namespace {

constexpr double k_min_bar_width = 0.5; // a 1 ms transfer in a 60 s run is still visible

std::string number(double value) {
    return fmt::format("{:.2f}", value);
}

// Draws one chart into a string, part by part, top to bottom.
class SvgTimeline {
public:
    SvgTimeline(const RunInfo& info, const TimelineFacts& facts, const SpillLog& bars)
        : m_info(info), m_facts(facts), m_bars(bars), m_layout(info, facts) {}

    std::string render() {
        m_out += fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
                             "height=\"{1}\" viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" "
                             "font-size=\"12\">\n",
                             number(k_timeline_width), number(m_layout.height()));
        m_out += "<title>imgfetch timeline</title>\n";
        m_out += fmt::format("<rect class=\"background\" width=\"{}\" height=\"{}\" "
                             "fill=\"#ffffff\"/>\n",
                             number(k_timeline_width), number(m_layout.height()));
        title();
        legend();
        lanes();
        axis();
        if (m_facts.drawn <= k_timeline_max_detailed_bars) {
            detailed_bars();
        } else {
            compact_bars();
        }
        m_out += "</svg>\n";
        return std::move(m_out);
    }

private:
    void title() {
        const bool sequential = m_info.mode == "sequential";
        const std::size_t drawn = m_facts.drawn;
        const std::size_t not_drawn = m_facts.not_drawn;
        std::string text = sequential ? "imgfetch --sequential"
                                      : fmt::format("imgfetch -j {} ({} worker{})", m_info.jobs,
                                                    m_info.jobs, m_info.jobs == 1 ? "" : "s");
        text += fmt::format(": {} transfer{} in {:.2f} s", drawn, drawn == 1 ? "" : "s",
                            m_info.seconds);
        if (not_drawn > 0) {
            text += fmt::format(" ({} result{} without a transfer not drawn)", not_drawn,
                                not_drawn == 1 ? "" : "s");
        }
        if (drawn > k_timeline_max_detailed_bars) {
            text += "; bars merged per pixel";
        }
        m_out += fmt::format("<text class=\"title\" x=\"{}\" y=\"22\" font-size=\"14\" "
                             "font-weight=\"bold\">{}</text>\n",
                             number(k_timeline_left), xml_escape(text));
    }

    void legend() {
        m_out += "<g class=\"legend\">\n";
        double x = k_timeline_left;
        for (std::size_t i = 0; i < k_timeline_styles.size(); ++i) {
            const StatusStyle& style = k_timeline_styles[i];
            if (style.status == Status::duplicate && m_facts.counts[i] == 0) {
                continue; // duplicates never transfer; shown only if one somehow did
            }
            const std::string label =
                fmt::format("{} ({})", to_string(style.status), m_facts.counts[i]);
            m_out += fmt::format("<rect class=\"swatch {}\" x=\"{}\" y=\"34\" width=\"12\" "
                                 "height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"44\">{}</text>\n",
                                 to_string(style.status), number(x), style.colour, number(x + 16),
                                 xml_escape(label));
            x += 30 + 7.0 * static_cast<double>(label.size());
        }
        m_out += "</g>\n";
    }

    void lanes() {
        m_out += "<g class=\"lanes\">\n";
        const double lane_height = m_layout.lane_height();
        // Labels on every lane while they fit, else on every n-th.
        const unsigned label_every =
            static_cast<unsigned>(std::max(1.0, std::ceil(12.0 / lane_height)));
        const bool sequential = m_info.mode == "sequential";
        for (unsigned lane = 0; lane < m_layout.lanes(); ++lane) {
            if (lane % 2 == 1) {
                m_out += fmt::format("<rect class=\"lane\" x=\"{}\" y=\"{}\" width=\"{}\" "
                                     "height=\"{}\" fill=\"#f1f3f4\"/>\n",
                                     number(k_timeline_left), number(m_layout.lane_top(lane)),
                                     number(k_timeline_plot_width), number(lane_height));
            }
            if (lane % label_every == 0) {
                const std::string label = sequential && m_layout.lanes() == 1
                                              ? "main thread"
                                              : fmt::format("worker {}", lane);
                m_out += fmt::format("<text class=\"lane-label\" x=\"{}\" y=\"{}\" "
                                     "text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>\n",
                                     number(k_timeline_left - 8),
                                     number(m_layout.lane_top(lane) + lane_height / 2), label);
            }
        }
        m_out += "</g>\n";
    }

    void axis() {
        const double step = tick_step(m_layout.span());
        const int decimals = tick_decimals(step);
        const double axis_y = m_layout.axis_y();
        m_out += "<g class=\"axis\">\n";
        m_out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                             "stroke=\"#5f6368\"/>\n",
                             number(k_timeline_left), number(axis_y),
                             number(k_timeline_left + k_timeline_plot_width));
        // Ticks by index, not by accumulating `step`, so rounding cannot add or lose one.
        const auto ticks = static_cast<std::size_t>(std::floor(m_layout.span() / step + 1e-9));
        for (std::size_t i = 0; i <= ticks; ++i) {
            const double seconds = static_cast<double>(i) * step;
            const double x = m_layout.x_of(seconds);
            m_out += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" "
                                 "y2=\"{2}\" stroke=\"#dadce0\"/>\n",
                                 number(x), number(k_timeline_plot_top), number(axis_y));
            m_out += fmt::format("<line class=\"tick\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" "
                                 "y2=\"{2}\" stroke=\"#5f6368\"/>\n",
                                 number(x), number(axis_y), number(axis_y + 5));
            m_out += fmt::format("<text class=\"tick-label\" x=\"{}\" y=\"{}\" "
                                 "text-anchor=\"middle\">{:.{}f} s</text>\n",
                                 number(x), number(axis_y + 18), seconds, decimals);
        }
        m_out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#5f6368\">"
                             "seconds since the run started</text>\n",
                             number(k_timeline_left + k_timeline_plot_width), number(axis_y + 34));
        m_out += "</g>\n";
    }

    void detailed_bars() {
        // A thin white edge tells back-to-back transfers of one worker apart.
        m_out += "<g class=\"bars\" stroke=\"#ffffff\" stroke-width=\"0.5\">\n";
        for_each_bar(m_bars, [this](const BarRecord& r, const std::string& tooltip) {
            const StatusStyle& style = k_timeline_styles[style_index(r.status)];
            const double x = m_layout.x_of(r.start);
            const double width = std::max(k_min_bar_width, m_layout.x_of(r.end) - x);
            m_out +=
                fmt::format("<rect class=\"bar {}\" x=\"{}\" y=\"{}\" width=\"{}\" "
                            "height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
                            to_string(r.status), number(x), number(m_layout.bar_top(r.worker)),
                            number(width), number(m_layout.bar_height()), style.colour, tooltip);
        });
        m_out += "</g>\n";
    }

    // Beyond k_timeline_max_detailed_bars: per lane and status, the whole pixel columns the
    // bars cover, merged into runs. At most one rect per run, so the file is bounded by
    // lanes x statuses x width, however many downloads there were. The columns a bar covers,
    // [floor(x of start), max(that + 1, ceil(x of end))), are marked in a bitmap per lane and
    // status; a run of marked columns is a run of bars that overlap or touch.
    void compact_bars() {
        const auto covered = covered_columns();
        m_out += "<g class=\"bars\">\n";
        for (std::size_t style = 0; style < k_timeline_styles.size(); ++style) {
            for (unsigned lane = 0; lane < m_layout.lanes(); ++lane) {
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
                    merged_bar(style, lane, first, c - first);
                }
            }
        }
        m_out += "</g>\n";
    }

    using Columns = std::vector<std::array<std::vector<bool>, k_timeline_styles.size()>>;

    // Per lane and status, a bitmap of the pixel columns bars cover (empty: none).
    Columns covered_columns() const {
        // Times lie in [0, span], so columns in [left, width]; the margin only guards the
        // bitmap.
        constexpr long k_columns = static_cast<long>(k_timeline_width) + 2;
        const auto column = [](double x) { return std::clamp(x, 0.0, double(k_columns)); };
        Columns covered(m_layout.lanes());
        for_each_bar(m_bars, [&](const BarRecord& r, const std::string& /*tooltip*/) {
            const auto first = static_cast<long>(std::floor(column(m_layout.x_of(r.start))));
            const auto last = std::min(
                k_columns,
                std::max(first + 1, static_cast<long>(std::ceil(column(m_layout.x_of(r.end))))));
            std::vector<bool>& bits = covered[r.worker][style_index(r.status)];
            if (bits.empty()) {
                bits.resize(static_cast<std::size_t>(k_columns));
            }
            for (long c = first; c < last; ++c) {
                bits[static_cast<std::size_t>(c)] = true;
            }
        });
        return covered;
    }

    void merged_bar(std::size_t style, unsigned lane, std::size_t first, std::size_t columns) {
        m_out += fmt::format("<rect class=\"bar {}\" x=\"{}\" y=\"{}\" "
                             "width=\"{}\" height=\"{}\" fill=\"{}\"/>\n",
                             to_string(k_timeline_styles[style].status), first,
                             number(m_layout.bar_top(lane)), columns, number(m_layout.bar_height()),
                             k_timeline_styles[style].colour);
    }

    const RunInfo& m_info;
    const TimelineFacts& m_facts;
    const SpillLog& m_bars;
    TimelineLayout m_layout;
    std::string m_out;
};

} // namespace

std::string draw_timeline_svg(const RunInfo& info, const TimelineFacts& facts,
                              const SpillLog& bars) {
    return SvgTimeline(info, facts, bars).render();
}

} // namespace imgfetch::detail
