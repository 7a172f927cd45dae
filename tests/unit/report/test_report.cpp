#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "imgfetch/report/report.hpp"

namespace imgfetch {
namespace {

using nlohmann::json;

TEST(SummaryLine, CarriesCountsBytesSecondsRateAndWorkers) {
    Summary s;
    s.ok = 3;
    s.failed = 1;
    s.duplicate = 2;
    s.bytes = 5'000'000;
    const RunInfo info{"pool", 8, "t", 2.0};

    EXPECT_EQ(format_summary_line(s, info),
              "3 ok, 1 failed, 0 skipped, 0 not modified, "
              "2 duplicate, 0 filtered; 5.00 MB in 2.00 s (2.50 MB/s), "
              "8 workers");
}

TEST(SummaryLine, NamesSequentialMode) {
    const RunInfo info{"sequential", 1, "t", 0.0};
    EXPECT_NE(format_summary_line({}, info).find("in 0.00 s (0.00 MB/s), sequential"),
              std::string::npos);
}

TEST(JsonReport, ReplacesInvalidUtf8InsteadOfWritingBrokenJson) {
    TransferResult r;
    r.url = "http://h/\xff\xfe.png";
    r.error = "bad \x01 byte";
    const std::string text = render_json_report({"pool", 1, "t", 0}, {}, {r});

    const json parsed = json::parse(text); // throws on invalid JSON
    EXPECT_EQ(parsed["files"][0]["url"], "http://h/\xEF\xBF\xBD\xEF\xBF\xBD.png");
    EXPECT_EQ(parsed["files"][0]["error"], "bad \x01 byte");
    EXPECT_NE(text.find("\\u0001"), std::string::npos) << "control bytes are escaped";
}

TEST(JsonReport, ADuplicatePointsAtThePathOfItsFirstOccurrence) {
    TransferResult first;
    first.seq = 0;
    first.status = Status::ok;
    first.path = "images/a.png";
    TransferResult again;
    again.seq = 1;
    again.status = Status::duplicate;
    again.duplicate_of = 0;

    const json parsed = json::parse(render_json_report({"pool", 1, "t", 0}, {}, {first, again}));

    EXPECT_EQ(parsed["files"][1]["path"], "images/a.png");
    EXPECT_EQ(parsed["files"][1]["status"], "duplicate");
}

TEST(JsonReport, FileEntriesKeepTheirKeyOrder) {
    TransferResult saved;
    saved.status = Status::ok;
    saved.sha256 = std::string(64, 'a');
    const TransferResult failed;

    const auto parsed =
        nlohmann::ordered_json::parse(render_json_report({"pool", 1, "t", 0}, {}, {saved, failed}));

    std::vector<std::string> keys;
    for (const auto& item : parsed["files"][0].items()) {
        keys.push_back(item.key());
    }
    EXPECT_EQ(keys, (std::vector<std::string>{"line",          "url",          "path",   "status",
                                              "http_status",   "http_version", "bytes",  "received",
                                              "resumed_from",  "attempts",     "worker", "start",
                                              "end",           "error",        "sha256", "format",
                                              "width",         "height",       "frames", "reason",
                                              "effective_url", "duplicate_of", "page"}));
    EXPECT_EQ(parsed["files"][0]["sha256"], std::string(64, 'a'));
    EXPECT_TRUE(parsed["files"][1]["sha256"].is_null()) << "null when not computed";
}

TEST(JsonReport, HttpVersionIsAStringOrNullWhenNoResponseArrived) {
    TransferResult over_h2;
    over_h2.status = Status::ok;
    over_h2.http_status = 200;
    over_h2.http_version = "2";
    const TransferResult refused = failed_result(1, 2, "https://127.0.0.1:1/a.png", "refused");

    const json parsed =
        json::parse(render_json_report({"pool", 1, "t", 0}, {}, {over_h2, refused}));

    EXPECT_EQ(parsed["files"][0]["http_version"], "2");
    EXPECT_TRUE(parsed["files"][1]["http_version"].is_null());
}

TEST(Iso8601, LooksLikeUtcWithMilliseconds) {
    const std::string now = iso8601_now();
    ASSERT_EQ(now.size(), 24U) << now;
    EXPECT_EQ(now[4], '-');
    EXPECT_EQ(now[10], 'T');
    EXPECT_EQ(now[19], '.');
    EXPECT_EQ(now.back(), 'Z');
}

} // namespace
} // namespace imgfetch
