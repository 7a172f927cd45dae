// JsonLinesWriter in-process: one parseable line per result and the summary last, invalid
// UTF-8 replaced, a duplicate showing its first occurrence's path, a full disk (/dev/full)
// that ends the lines without throwing from add() and fails finish().
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "imgfetch/report/json_lines.hpp"
#include "imgfetch/report/report.hpp"
#include "imgfetch/setup_error.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

using test::contains;
using test::read_file;
using test::TempDir;

std::vector<nlohmann::json> json_lines_parsed(const std::string& text) {
    std::vector<nlohmann::json> parsed;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        parsed.push_back(nlohmann::json::parse(line)); // throws on broken JSON or UTF-8
    }
    return parsed;
}

TransferResult json_lines_result(std::size_t seq, Status status, const std::string& path) {
    TransferResult r;
    r.seq = seq;
    r.line = seq + 1;
    r.url = "http://127.0.0.1/" + std::to_string(seq) + ".png";
    r.status = status;
    r.path = path;
    return r;
}

TEST(JsonLines, WritesOneLinePerResultAndTheSummaryLast) {
    const TempDir temp;
    const std::string path = (temp / "out.jsonl").string();
    JsonLinesWriter writer(path, temp.path().string());
    writer.add(json_lines_result(0, Status::ok, "d/0.png"));
    // Each line is out at once, before the run ends.
    EXPECT_EQ(read_file(path).find('\n'), read_file(path).size() - 1);
    writer.add(json_lines_result(1, Status::failed, ""));
    Summary summary;
    summary.total = 2;
    summary.ok = 1;
    summary.failed = 1;
    writer.finish(summary);

    const auto lines = json_lines_parsed(read_file(path));
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0]["path"], "d/0.png");
    EXPECT_EQ(lines[1]["status"], "failed");
    EXPECT_EQ(lines[2].size(), 1U);
    EXPECT_EQ(lines[2]["summary"]["failed"], 1);
    EXPECT_EQ(writer.lines_written(), 3U);
}

TEST(JsonLines, EachLineIsTheReportsEntry) {
    const TempDir temp;
    const std::string path = (temp / "out.jsonl").string();
    TransferResult r = json_lines_result(0, Status::ok, "d/0.png");
    r.sha256 = std::string(64, 'a');
    r.width = 40;
    r.format = "png";
    {
        JsonLinesWriter writer(path, temp.path().string());
        writer.add(r);
        writer.finish({});
    }
    const auto lines = json_lines_parsed(read_file(path));
    const auto report = nlohmann::json::parse(render_json_report({"pool", 1, "t", 0}, {}, {r}));
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(lines[0], report["files"][0]);
    EXPECT_EQ(lines[1]["summary"], report["summary"]);
}

TEST(JsonLines, ReplacesInvalidUtf8InsteadOfWritingBrokenJson) {
    const TempDir temp;
    const std::string path = (temp / "out.jsonl").string();
    TransferResult r = json_lines_result(0, Status::failed, "");
    r.url = "http://h/\xff\xfe.png";
    r.error = "server said \xc3";
    JsonLinesWriter writer(path, temp.path().string());
    writer.add(r);
    writer.finish({});

    const auto lines = json_lines_parsed(read_file(path));
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_TRUE(contains(lines[0]["url"].get<std::string>(), "\xEF\xBF\xBD")); // U+FFFD
    EXPECT_TRUE(contains(lines[0]["error"].get<std::string>(), "\xEF\xBF\xBD"));
}

TEST(JsonLines, ADuplicateShowsThePathOfItsFirstOccurrence) {
    const TempDir temp;
    const std::string path = (temp / "out.jsonl").string();
    JsonLinesWriter writer(path, temp.path().string());
    writer.add(json_lines_result(0, Status::ok, "d/first.png"));
    writer.add(json_lines_result(2, Status::ok, "d/other.png")); // seq 1: another shard's
    TransferResult duplicate = json_lines_result(3, Status::duplicate, "");
    duplicate.duplicate_of = 0;
    writer.add(duplicate);
    TransferResult of_unknown = json_lines_result(4, Status::duplicate, "");
    of_unknown.duplicate_of = 1;
    writer.add(of_unknown);
    writer.finish({});

    const auto lines = json_lines_parsed(read_file(path));
    ASSERT_EQ(lines.size(), 5U);
    EXPECT_EQ(lines[2]["path"], "d/first.png");
    EXPECT_TRUE(lines[3]["path"].is_null());
}

TEST(JsonLines, AFullDiskEndsTheLinesAndFailsOnlyAtTheEnd) {
    const TempDir temp;
    JsonLinesWriter writer("/dev/full", temp.path().string()); // every write: ENOSPC
    writer.add(json_lines_result(0, Status::ok, "d/0.png"));   // must not throw
    writer.add(json_lines_result(1, Status::ok, "d/1.png"));
    try {
        writer.finish({});
        FAIL() << "finish() did not report the failed writes";
    } catch (const SetupError& e) {
        EXPECT_TRUE(contains(e.what(), "/dev/full")) << e.what();
        EXPECT_TRUE(contains(e.what(), "3 of its 3 lines were not written")) << e.what();
        EXPECT_TRUE(contains(e.what(), "No space left on device")) << e.what();
    }
    EXPECT_EQ(writer.lines_written(), 0U);
}

TEST(JsonLines, AnUnwritablePathIsASetupErrorAtOnce) {
    const TempDir temp;
    EXPECT_THROW(JsonLinesWriter((temp / "missing" / "out.jsonl").string()), SetupError);
}

} // namespace
} // namespace imgfetch
