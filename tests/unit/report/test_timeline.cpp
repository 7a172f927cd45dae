// --timeline: the pure SVG renderer, and the option through the real executable.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "imgfetch/report/timeline.hpp"
#include "support/images.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::read_file;
using test::run_imgfetch;
using test::TempDir;
using test::TestServer;

// A minimal XML well-formedness check, enough for what the renderer emits: one root element,
// properly nested and closed tags, quoted attributes, no raw '<' or '&' in text or values,
// only the five predefined entities and numeric character references. Returns "" when the
// document is well-formed, else what is wrong.
class XmlChecker {
public:
    explicit XmlChecker(std::string_view text) : m_text(text) {}

    std::string check() {
        if (m_text.starts_with("<?xml")) {
            const auto end = m_text.find("?>");
            if (end == std::string_view::npos) {
                return "unterminated XML declaration";
            }
            m_pos = end + 2;
        }
        std::vector<std::string> open;
        int roots = 0;
        while (m_pos < m_text.size()) {
            if (m_text[m_pos] != '<') {
                const auto next = m_text.find('<', m_pos);
                const auto text = m_text.substr(m_pos, next - m_pos);
                if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
                    return "text outside the root element";
                }
                if (std::string why = check_chars(text); !why.empty()) {
                    return why;
                }
                m_pos = next == std::string_view::npos ? m_text.size() : next;
                continue;
            }
            ++m_pos;
            if (peek() == '/') {
                ++m_pos;
                const std::string name = read_name();
                skip_blanks();
                if (peek() != '>' || open.empty() || open.back() != name) {
                    return "unexpected closing tag </" + name + ">";
                }
                ++m_pos;
                open.pop_back();
                continue;
            }
            const std::string name = read_name();
            if (name.empty()) {
                return "a '<' that starts no tag";
            }
            if (open.empty() && ++roots > 1) {
                return "more than one root element";
            }
            if (std::string why = read_attributes(); !why.empty()) {
                return "<" + name + ">: " + why;
            }
            if (peek() == '/') {
                ++m_pos;
                if (peek() != '>') {
                    return "<" + name + ">: '/' not followed by '>'";
                }
                ++m_pos;
            } else if (peek() == '>') {
                ++m_pos;
                open.push_back(name);
            } else {
                return "<" + name + ">: unterminated tag";
            }
        }
        if (!open.empty()) {
            return "unclosed element <" + open.back() + ">";
        }
        return roots == 1 ? "" : "no root element";
    }

private:
    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }

    void skip_blanks() {
        while (peek() == ' ' || peek() == '\n' || peek() == '\t' || peek() == '\r') {
            ++m_pos;
        }
    }

    std::string read_name() {
        const std::size_t start = m_pos;
        while (m_pos < m_text.size() && (std::isalnum(static_cast<unsigned char>(peek())) != 0 ||
                                         peek() == '-' || peek() == '_' || peek() == ':')) {
            ++m_pos;
        }
        return std::string(m_text.substr(start, m_pos - start));
    }

    std::string read_attributes() {
        for (;;) {
            skip_blanks();
            if (peek() == '>' || peek() == '/' || peek() == '\0') {
                return "";
            }
            const std::string name = read_name();
            if (name.empty() || peek() != '=') {
                return "malformed attribute";
            }
            ++m_pos;
            const char quote = peek();
            if (quote != '"' && quote != '\'') {
                return "unquoted value of " + name;
            }
            const auto end = m_text.find(quote, m_pos + 1);
            if (end == std::string_view::npos) {
                return "unterminated value of " + name;
            }
            const auto value = m_text.substr(m_pos + 1, end - m_pos - 1);
            if (value.find('<') != std::string_view::npos) {
                return "'<' in the value of " + name;
            }
            if (std::string why = check_chars(value); !why.empty()) {
                return why;
            }
            m_pos = end + 1;
        }
    }

    // Entities are predefined or numeric; no control characters but tab, CR and LF.
    static std::string check_chars(std::string_view text) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return "control character in text";
            }
            if (c != '&') {
                continue;
            }
            const auto end = text.find(';', i);
            if (end == std::string_view::npos) {
                return "unterminated entity";
            }
            const auto entity = text.substr(i + 1, end - i - 1);
            const bool numeric = entity.size() > 1 && entity[0] == '#' &&
                                 entity.find_first_not_of("0123456789", 1) == std::string::npos;
            if (!numeric && entity != "amp" && entity != "lt" && entity != "gt" &&
                entity != "quot" && entity != "apos") {
                return "unknown entity &" + std::string(entity) + ";";
            }
        }
        return "";
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
};

std::string xml_problem(const std::string& svg) {
    return XmlChecker(svg).check();
}

std::size_t count(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

TransferResult transfer(std::size_t seq, unsigned worker, double start, double end,
                        Status status = Status::ok) {
    TransferResult r;
    r.seq = seq;
    r.line = seq + 1;
    r.url = "http://127.0.0.1/img/" + std::to_string(seq) + ".png";
    r.status = status;
    r.worker = worker;
    r.start = start;
    r.end = end;
    r.attempts = 1;
    if (status == Status::ok) {
        r.http_status = 200;
        r.bytes = 1000;
    }
    return r;
}

RunInfo pool(unsigned jobs, double seconds) {
    return RunInfo{"pool", jobs, "2026-01-01T00:00:00.000Z", seconds};
}

RunInfo sequential(double seconds) {
    return RunInfo{"sequential", 1, "2026-01-01T00:00:00.000Z", seconds};
}

TEST(TimelineSvg, HasOneLanePerWorker) {
    const std::vector<TransferResult> records{transfer(0, 0, 0.0, 0.4), transfer(1, 3, 0.1, 0.9)};

    const std::string svg = render_timeline_svg(pool(4, 1.0), records);

    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_EQ(count(svg, "class=\"lane-label\""), 4U);
    for (const char* label : {">worker 0<", ">worker 1<", ">worker 2<", ">worker 3<"}) {
        EXPECT_NE(svg.find(label), std::string::npos) << label;
    }
    EXPECT_NE(svg.find("imgfetch -j 4 (4 workers): 2 transfers in 1.00 s"), std::string::npos)
        << svg;
}

TEST(TimelineSvg, SequentialRunHasOneLane) {
    const std::vector<TransferResult> records{transfer(0, 0, 0.0, 0.4), transfer(1, 0, 0.4, 0.9)};

    const std::string svg = render_timeline_svg(sequential(1.0), records);

    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_EQ(count(svg, "class=\"lane-label\""), 1U);
    EXPECT_NE(svg.find(">main thread<"), std::string::npos);
    EXPECT_NE(svg.find("imgfetch --sequential: 2 transfers"), std::string::npos) << svg;
    EXPECT_EQ(count(svg, "class=\"bar "), 2U);
}

TEST(TimelineSvg, DrawsOneBarPerTransferAndCountsWhatHadNone) {
    std::vector<TransferResult> records;
    for (std::size_t i = 0; i < 7; ++i) {
        records.push_back(transfer(i, static_cast<unsigned>(i % 3), 0.1 * i, 0.1 * i + 0.05));
    }
    TransferResult bad_line; // no URL, no worker, no times
    bad_line.seq = 7;
    bad_line.error = "urls.txt:8: not an http(s) URL: x";
    records.push_back(bad_line);
    TransferResult duplicate;
    duplicate.seq = 8;
    duplicate.status = Status::duplicate;
    duplicate.duplicate_of = 0;
    records.push_back(duplicate);
    TransferResult never_started = failed_result(9, 10, "http://h/x.png", "interrupted");
    never_started.worker = 1; // taken by a worker, but never started
    records.push_back(never_started);

    const std::string svg = render_timeline_svg(pool(3, 1.0), records);

    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_EQ(count(svg, "<rect class=\"bar "), 7U);
    EXPECT_NE(svg.find("(3 results without a transfer not drawn)"), std::string::npos) << svg;
}

TEST(TimelineSvg, ColoursBarsByOutcomeWithALegend) {
    const std::vector<TransferResult> records{
        transfer(0, 0, 0.0, 0.1, Status::ok), transfer(1, 0, 0.1, 0.2, Status::failed),
        transfer(2, 1, 0.0, 0.1, Status::skipped), transfer(3, 1, 0.1, 0.2, Status::not_modified),
        transfer(4, 0, 0.2, 0.3, Status::ok)};

    const std::string svg = render_timeline_svg(pool(2, 0.3), records);

    EXPECT_EQ(xml_problem(svg), "");
    const std::vector<std::pair<std::string, std::string>> colours{{"ok", "#2e9d4f"},
                                                                   {"failed", "#d93025"},
                                                                   {"skipped", "#9aa0a6"},
                                                                   {"not_modified", "#1a73e8"}};
    for (const auto& [status, colour] : colours) {
        EXPECT_EQ(count(svg, "class=\"bar " + status + "\""), status == "ok" ? 2U : 1U) << status;
        EXPECT_EQ(count(svg, "fill=\"" + colour + "\""), (status == "ok" ? 2U : 1U) + 1U)
            << status << ": its bars and its legend swatch";
        EXPECT_NE(svg.find("class=\"swatch " + status + "\""), std::string::npos) << status;
    }
    EXPECT_NE(svg.find(">ok (2)<"), std::string::npos);
    EXPECT_NE(svg.find(">failed (1)<"), std::string::npos);
}

TEST(TimelineSvg, TimeAxisHasRoundTicksInSeconds) {
    const std::string half_seconds = render_timeline_svg(pool(1, 2.5), {transfer(0, 0, 0, 2.5)});
    EXPECT_EQ(count(half_seconds, "class=\"tick\""), 6U); // 0, 0.5, ... 2.5
    for (const char* label : {">0.0 s<", ">0.5 s<", ">1.5 s<", ">2.5 s<"}) {
        EXPECT_NE(half_seconds.find(label), std::string::npos) << label;
    }

    const std::string five_seconds = render_timeline_svg(pool(1, 37), {transfer(0, 0, 0, 30)});
    EXPECT_EQ(count(five_seconds, "class=\"tick\""), 8U); // 0, 5, ... 35
    EXPECT_NE(five_seconds.find(">35 s<"), std::string::npos);
    EXPECT_EQ(five_seconds.find(">40 s<"), std::string::npos);

    const std::string milliseconds =
        render_timeline_svg(pool(1, 0.012), {transfer(0, 0, 0, 0.012)});
    EXPECT_EQ(count(milliseconds, "class=\"tick\""), 7U); // 0, 0.002, ... 0.012
    EXPECT_NE(milliseconds.find(">0.012 s<"), std::string::npos);
}

TEST(TimelineSvg, BarsSpanTheirTimesOnTheAxis) {
    // Plot from x=100 to x=976 over 2 s: a transfer from 0.5 s to 1.5 s covers the middle half.
    const std::string svg = render_timeline_svg(pool(1, 2.0), {transfer(0, 0, 0.5, 1.5)});
    EXPECT_NE(svg.find("class=\"bar ok\" x=\"319.00\""), std::string::npos) << svg;
    EXPECT_NE(svg.find("width=\"438.00\""), std::string::npos) << svg;
}

TEST(TimelineSvg, EscapesUrlsAndErrorsInTooltips) {
    TransferResult r = transfer(0, 0, 0.0, 1.0, Status::failed);
    r.url = "http://127.0.0.1/a?x=<b>&c=\"d\"'e'";
    r.error = std::string("server said <oops> & \x01 \xff");

    const std::string svg = render_timeline_svg(pool(1, 1.0), {r});

    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_NE(svg.find("/a?x=&lt;b&gt;&amp;c=&quot;d&quot;&apos;e&apos;"), std::string::npos)
        << svg;
    EXPECT_NE(svg.find("server said &lt;oops&gt; &amp; \\x01 \\xFF"), std::string::npos) << svg;
    EXPECT_EQ(svg.find("<b>"), std::string::npos);
}

TEST(TimelineSvg, CutsHugeUrlsInTooltips) {
    TransferResult r = transfer(0, 0, 0.0, 1.0);
    r.url = "http://127.0.0.1/" + std::string(60000, 'a');

    const std::string svg = render_timeline_svg(pool(1, 1.0), {r});

    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_LT(svg.size(), 8000U);
    EXPECT_NE(svg.find("aaa...&#10;ok"), std::string::npos);
}

TEST(TimelineSvg, EmptyRunIsAValidSvgWithAnAxis) {
    const std::string svg = render_timeline_svg(pool(8, 0.0), {});

    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_TRUE(svg.starts_with("<?xml"));
    EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    EXPECT_EQ(count(svg, "class=\"bar "), 0U);
    EXPECT_EQ(count(svg, "class=\"lane-label\""), 8U);
    EXPECT_GE(count(svg, "class=\"tick\""), 2U);
    EXPECT_NE(svg.find("0 transfers in 0.00 s"), std::string::npos);
}

TEST(TimelineSvg, UpToTheLimitEveryBarHasItsTooltip) {
    std::vector<TransferResult> records;
    for (std::size_t i = 0; i < k_timeline_max_detailed_bars; ++i) {
        records.push_back(transfer(i, static_cast<unsigned>(i % 4), 0.001 * static_cast<double>(i),
                                   0.001 * static_cast<double>(i) + 0.004));
    }
    const std::string svg = render_timeline_svg(pool(4, 10.0), records);

    EXPECT_EQ(count(svg, "<rect class=\"bar "), k_timeline_max_detailed_bars);
    EXPECT_EQ(count(svg, "<title>"), k_timeline_max_detailed_bars + 1); // + the document's
}

TEST(TimelineSvg, HugeRunsStayBoundedByMergingBarsPerPixel) {
    // 200,000 back-to-back transfers on 4 workers over 100 s; every 1000th fails.
    std::vector<TransferResult> records;
    constexpr std::size_t k_transfers = 200000;
    for (std::size_t i = 0; i < k_transfers; ++i) {
        const double start = 0.002 * static_cast<double>(i / 4);
        records.push_back(transfer(i, static_cast<unsigned>(i % 4), start, start + 0.002,
                                   i % 1000 == 0 ? Status::failed : Status::ok));
    }

    const std::string svg = render_timeline_svg(pool(4, 100.0), records);

    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_LT(svg.size(), 200U * 1024U) << "bounded by workers x pixels, not by downloads";
    EXPECT_EQ(count(svg, "<title>"), 1U) << "no per-bar tooltips";
    // Every ok run is one long bar per lane (failures are drawn on top); every failed transfer
    // still shows, in its lane (failures are all on worker 0: i % 1000 == 0).
    EXPECT_EQ(count(svg, "class=\"bar ok\""), 4U);
    EXPECT_EQ(count(svg, "class=\"bar failed\""), k_transfers / 1000);
    EXPECT_NE(svg.find("200000 transfers in 100.00 s; bars merged per pixel"), std::string::npos);
}

// Through the real executable: a server with /img/N.png and a request counter.
class TimelineCli : public ::testing::Test {
protected:
    TimelineCli() {
        server.server().Get(
            R"(/img/(\d+)\.png)", [this](const httplib::Request& req, httplib::Response& res) {
                ++requests;
                res.set_content(test::fake_png(std::stoul(req.matches[1])), "image/png");
            });
    }

    std::string list_of(int images) {
        std::string text;
        for (int i = 0; i < images; ++i) {
            text += server.url("/img/" + std::to_string(i) + ".png") + "\n";
        }
        const auto path = temp / "urls.txt";
        test::write_file(path, text);
        return path.string();
    }

    TempDir temp;
    std::atomic<int> requests{0}; // declared before the server, so it outlives its handlers
    TestServer server;
};

TEST_F(TimelineCli, WritesOneBarPerDownloadInOneLanePerWorker) {
    const std::string list = list_of(6);
    const auto svg_path = temp / "run.svg";

    const auto run = run_imgfetch(
        {list, "-j", "3", "-o", (temp / "out").string(), "--timeline", svg_path.string()},
        temp.path());

    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string svg = read_file(svg_path);
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_EQ(count(svg, "<rect class=\"bar ok\""), 6U);
    EXPECT_EQ(count(svg, "class=\"lane-label\""), 3U);
    EXPECT_NE(svg.find(server.url("/img/5.png")), std::string::npos) << "tooltips name the URL";
    EXPECT_EQ(test::list_dir(temp.path()),
              (std::vector<std::string>{"out", "run.svg", "stderr.txt", "stdout.txt", "urls.txt"}))
        << "no temporary left behind";
}

TEST_F(TimelineCli, SequentialRunDrawsOneLane) {
    const std::string list = list_of(3);
    const auto svg_path = temp / "run.svg";

    const auto run = run_imgfetch(
        {list, "--sequential", "-o", (temp / "out").string(), "--timeline", svg_path.string()},
        temp.path());

    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string svg = read_file(svg_path);
    EXPECT_EQ(count(svg, "<rect class=\"bar ok\""), 3U);
    EXPECT_EQ(count(svg, "class=\"lane-label\""), 1U);
}

TEST_F(TimelineCli, UnwritableTimelinePathIsAUsageErrorBeforeAnyDownload) {
    const std::string list = list_of(3);
    const int before = requests.load(); // the server's warm-up request is not ours

    const auto missing_dir = run_imgfetch({list, "-o", (temp / "out").string(), "--timeline",
                                           (temp / "no-such-dir" / "run.svg").string()},
                                          temp.path());
    EXPECT_EQ(missing_dir.exit_code, 2);
    EXPECT_NE(missing_dir.err.find("cannot write timeline"), std::string::npos) << missing_dir.err;

    std::filesystem::create_directory(temp / "a-directory");
    const auto directory = run_imgfetch(
        {list, "-o", (temp / "out").string(), "--timeline", (temp / "a-directory").string()},
        temp.path());
    EXPECT_EQ(directory.exit_code, 2);
    EXPECT_NE(directory.err.find("cannot write timeline"), std::string::npos) << directory.err;

    EXPECT_EQ(requests.load(), before) << "no download started";
    EXPECT_FALSE(std::filesystem::exists(temp / "out" / "0.png"));
}

} // namespace
} // namespace imgfetch
