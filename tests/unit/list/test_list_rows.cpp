// Lists with columns: the format a list is read in, CSV/TSV header and rows, JSON Lines lines,
// and produce_tasks() turning them into Tasks (names, request details, expected hashes) with
// bad rows reported by line and the rest read on.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "imgfetch/list/column_row.hpp"
#include "imgfetch/list/json_list_line.hpp"
#include "imgfetch/list/list_format.hpp"
#include "imgfetch/list/naming.hpp"
#include "imgfetch/list/task_source.hpp"
#include "imgfetch/setup_error.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

const std::string k_hash(64, 'a');
const std::string k_upper_hash(64, 'A');

CsvRecord record(std::vector<std::string> fields, std::size_t line = 2) {
    CsvRecord r;
    r.line = line;
    r.fields = std::move(fields);
    return r;
}

std::string bad_reason(const ParsedLine& parsed) {
    const auto* bad = std::get_if<BadLine>(&parsed);
    return bad == nullptr ? std::string("<not bad>") : bad->reason;
}

// --- the format ---------------------------------------------------------------------------

TEST(InputFormat, AutoGoesByTheExtensionAndStdinIsText) {
    EXPECT_EQ(resolve_input_format(InputFormat::auto_detect, "a/b.csv"), InputFormat::csv);
    EXPECT_EQ(resolve_input_format(InputFormat::auto_detect, "B.TSV"), InputFormat::tsv);
    EXPECT_EQ(resolve_input_format(InputFormat::auto_detect, "x.jsonl"), InputFormat::jsonl);
    EXPECT_EQ(resolve_input_format(InputFormat::auto_detect, "x.ndjson"), InputFormat::jsonl);
    EXPECT_EQ(resolve_input_format(InputFormat::auto_detect, "urls.txt"), InputFormat::text);
    EXPECT_EQ(resolve_input_format(InputFormat::auto_detect, "csv"), InputFormat::text);
    EXPECT_EQ(resolve_input_format(InputFormat::auto_detect, "-"), InputFormat::text);
    EXPECT_EQ(resolve_input_format(InputFormat::csv, "-"), InputFormat::csv);
    EXPECT_EQ(resolve_input_format(InputFormat::text, "x.csv"), InputFormat::text);
}

// --- CSV/TSV header and rows ------------------------------------------------------------

TEST(ColumnRow, FindsTheNamedColumnsAfterTrimmingSpaces) {
    ListFormat format;
    format.name_column = "file";
    format.sha256_column = "hash";
    const ListColumns columns =
        find_columns(record({"id", " url ", "hash", "file"}, 1), format, "l.csv");
    EXPECT_EQ(columns.count, 4U);
    EXPECT_EQ(columns.url, 1U);
    EXPECT_EQ(columns.name, 3U);
    EXPECT_EQ(columns.sha256, 2U);
}

TEST(ColumnRow, AHeaderWithoutTheUrlColumnIsASetupErrorListingItsColumns) {
    try {
        find_columns(record({"link", "name"}, 1), ListFormat{}, "images.csv");
        FAIL() << "no SetupError";
    } catch (const SetupError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("images.csv"), std::string::npos) << message;
        EXPECT_NE(message.find("no column 'url'"), std::string::npos) << message;
        EXPECT_NE(message.find("'link', 'name'"), std::string::npos) << message;
        EXPECT_NE(message.find("--url-column"), std::string::npos) << message;
    }
}

TEST(ColumnRow, AMissingNameOrHashColumnIsASetupErrorToo) {
    ListFormat format;
    format.sha256_column = "sha";
    EXPECT_THROW(find_columns(record({"url"}, 1), format, "l.csv"), SetupError);
    format = ListFormat{};
    format.name_column = "file";
    EXPECT_THROW(find_columns(record({"url"}, 1), format, "l.csv"), SetupError);
}

TEST(ColumnRow, ARowGivesUrlNameAndTheHashInLowerCase) {
    const ListColumns columns{3, 0, 1, 2};
    const ParsedLine parsed =
        parse_csv_row(record({"http://h/a.jpg", "x.png", k_upper_hash}), columns);
    const auto* entry = std::get_if<ListEntry>(&parsed);
    ASSERT_NE(entry, nullptr) << bad_reason(parsed);
    EXPECT_EQ(entry->url, "http://h/a.jpg");
    EXPECT_EQ(entry->name, "x.png");
    EXPECT_EQ(entry->expected_sha256, k_hash);
}

TEST(ColumnRow, EmptyOptionalCellsGiveNothing) {
    const ListColumns columns{3, 0, 1, 2};
    const ParsedLine parsed = parse_csv_row(record({"http://h/a.jpg", "", ""}), columns);
    const auto* entry = std::get_if<ListEntry>(&parsed);
    ASSERT_NE(entry, nullptr);
    EXPECT_TRUE(entry->name.empty());
    EXPECT_TRUE(entry->expected_sha256.empty());
}

TEST(ColumnRow, BadRowsSayWhy) {
    const ListColumns columns{2, 0, std::nullopt, 1};
    EXPECT_NE(bad_reason(parse_csv_row(record({"http://h/a"}), columns))
                  .find("row has 1 fields; the header has 2"),
              std::string::npos);
    EXPECT_NE(bad_reason(parse_csv_row(record({"http://h/a", "b", "c"}), columns))
                  .find("row has 3 fields"),
              std::string::npos);
    EXPECT_NE(bad_reason(parse_csv_row(record({"", k_hash}), columns)).find("URL column is empty"),
              std::string::npos);
    EXPECT_NE(
        bad_reason(parse_csv_row(record({"ftp://h/a", ""}), columns)).find("not an http(s) URL"),
        std::string::npos);
    EXPECT_NE(bad_reason(parse_csv_row(record({"http://h/a", "abc"}), columns))
                  .find("sha256 is not 64 hex digits: 'abc'"),
              std::string::npos);
    EXPECT_NE(bad_reason(parse_csv_row(record({"http://h/a", std::string(64, 'g')}), columns))
                  .find("sha256"),
              std::string::npos);
    CsvRecord broken = record({"x"});
    broken.error = "text after a closing quote";
    EXPECT_EQ(bad_reason(parse_csv_row(broken, columns)), "text after a closing quote");
}

TEST(ColumnRow, ARowOfEmptyFieldsIsBlank) {
    const ListColumns columns{2, 0, std::nullopt, std::nullopt};
    EXPECT_TRUE(std::holds_alternative<BlankLine>(parse_csv_row(record({""}), columns)));
    EXPECT_TRUE(std::holds_alternative<BlankLine>(parse_csv_row(record({"", ""}), columns)));
}

// --- JSON Lines -----------------------------------------------------------------------------

TEST(JsonListLine, ReadsUrlAndEveryOptionalKey) {
    const ParsedLine parsed =
        parse_json_list_line(R"({"url":"http://h/a.jpg","name":"n.jpg","referer":"http://h/page",)"
                             R"("headers":{"X-Token":"t","Accept":""},"sha256":")" +
                             k_upper_hash + R"(","other":[1,2]})");
    const auto* entry = std::get_if<ListEntry>(&parsed);
    ASSERT_NE(entry, nullptr) << bad_reason(parsed);
    EXPECT_EQ(entry->url, "http://h/a.jpg");
    EXPECT_EQ(entry->name, "n.jpg");
    EXPECT_EQ(entry->referer, "http://h/page");
    EXPECT_EQ(entry->headers, (std::vector<std::string>{"Accept:", "X-Token: t"}));
    EXPECT_EQ(entry->expected_sha256, k_hash);
}

TEST(JsonListLine, NullIsAbsentAndBlankLinesAreBlank) {
    const ParsedLine parsed =
        parse_json_list_line(R"({"url":"http://h/a","name":null,"headers":null,"sha256":null})");
    ASSERT_TRUE(std::holds_alternative<ListEntry>(parsed)) << bad_reason(parsed);
    EXPECT_TRUE(std::holds_alternative<BlankLine>(parse_json_list_line("")));
    EXPECT_TRUE(std::holds_alternative<BlankLine>(parse_json_list_line(" \t\r")));
}

TEST(JsonListLine, BadLinesSayWhy) {
    const auto reason = [](const std::string& line) {
        return bad_reason(parse_json_list_line(line));
    };
    EXPECT_EQ(reason("{\"url\": "), reason("{\"url\": ")); // deterministic
    EXPECT_EQ(reason("{\"url\": ").rfind("bad JSON: ", 0), 0U) << reason("{\"url\": ");
    EXPECT_EQ(reason("[\"http://h/a\"]"), "not a JSON object");
    // Found by fuzz_csv_reader: a number too large for a double is nlohmann's out_of_range, not
    // a parse_error, and escaped as an exception.
    EXPECT_EQ(reason("{\"url\":\"http://h/a\",\"n\":1E999}").rfind("bad JSON: number overflow", 0),
              0U)
        << reason("{\"url\":\"http://h/a\",\"n\":1E999}");
    EXPECT_EQ(reason("{\"name\":\"x\"}"), "no \"url\"");
    EXPECT_EQ(reason("{\"url\":5}"), "\"url\" is not a string");
    EXPECT_EQ(reason("{\"url\":\"http://h/a\",\"name\":1}"), "\"name\" is not a string");
    EXPECT_EQ(reason("{\"url\":\"http://h/a\",\"referer\":true}"), "\"referer\" is not a string");
    EXPECT_EQ(reason("{\"url\":\"http://h/a\",\"headers\":[]}"), "\"headers\" is not an object");
    EXPECT_EQ(reason("{\"url\":\"http://h/a\",\"headers\":{\"A\":1}}"),
              "header 'A' is not a string");
    EXPECT_NE(
        reason("{\"url\":\"http://h/a\",\"headers\":{\"A B\":\"x\"}}").find("not a header name"),
        std::string::npos);
    EXPECT_NE(reason("{\"url\":\"http://h/a\",\"headers\":{\"A\":\"x\\r\\nEvil: 1\"}}")
                  .find("line break"),
              std::string::npos);
    EXPECT_NE(
        reason("{\"url\":\"http://h/a\",\"referer\":\"http://h/\\nX: y\"}").find("line break"),
        std::string::npos);
    EXPECT_NE(reason("{\"url\":\"http://h/a\",\"sha256\":\"12\"}").find("sha256 is not 64 hex"),
              std::string::npos);
    EXPECT_NE(reason("{\"url\":\"file:///etc/passwd\"}").find("not an http(s) URL"),
              std::string::npos);
}

// --- produce_tasks over lists with columns ---------------------------------------------------

struct ProducedRows {
    std::vector<Task> tasks;
    std::vector<TransferResult> immediate;
};

ProducedRows produce_rows(const std::string& path, const ListFormat& format = {}) {
    const ListInputs lists({path}, {}, format);
    ResultSink sink(true);
    NameRegistry names;
    ProducedRows out;
    produce_tasks(lists, names, sink, [&](Task task) { out.tasks.push_back(std::move(task)); });
    out.immediate = sink.take_records();
    return out;
}

TEST(ProduceTasksWithColumns, ACsvListGivesTasksAndReportsABadRowInTheMiddleByItsLine) {
    TempDir temp;
    test::write_file(temp / "l.csv", "\xEF\xBB\xBFid,url,file,sha\r\n"
                                     "1,http://h/a.jpg,\"my, photo.jpg\"," +
                                         k_hash +
                                         "\r\n"
                                         "2,\"http://h/b.jpg\",\"two\nlines\",\r\n"
                                         "3,http://h/c.jpg\r\n"
                                         "\r\n"
                                         "4,http://h/d.jpg,../../etc/passwd,\r\n");
    ListFormat format;
    format.name_column = "file";
    format.sha256_column = "sha";

    const ProducedRows p = produce_rows((temp / "l.csv").string(), format);

    ASSERT_EQ(p.tasks.size(), 3U);
    EXPECT_EQ(p.tasks[0].line, 2U);
    EXPECT_EQ(p.tasks[0].url, "http://h/a.jpg");
    EXPECT_EQ(p.tasks[0].file_name, "my, photo.jpg");
    EXPECT_EQ(p.tasks[0].expected_sha256, k_hash);
    EXPECT_EQ(p.tasks[1].line, 3U);
    EXPECT_EQ(p.tasks[1].file_name.find('\n'), std::string::npos); // sanitized like any name
    EXPECT_TRUE(p.tasks[1].expected_sha256.empty());
    EXPECT_EQ(p.tasks[2].line, 7U);
    EXPECT_EQ(p.tasks[2].file_name.find('/'), std::string::npos);
    EXPECT_NE(p.tasks[2].file_name, "..");
    ASSERT_EQ(p.immediate.size(), 1U);
    EXPECT_EQ(p.immediate[0].status, Status::failed);
    EXPECT_EQ(p.immediate[0].line, 5U);
    EXPECT_NE(p.immediate[0].error.find("l.csv:5: row has 2 fields; the header has 4"),
              std::string::npos)
        << p.immediate[0].error;
}

TEST(ProduceTasksWithColumns, NamesFromAColumnAreMadeUniqueLikeAnyOther) {
    TempDir temp;
    test::write_file(temp / "l.tsv", "name\turl\nx.jpg\thttp://h/1\nx.jpg\thttp://h/2\n");
    ListFormat format;
    format.name_column = "name";
    const ProducedRows p = produce_rows((temp / "l.tsv").string(), format);
    ASSERT_EQ(p.tasks.size(), 2U);
    EXPECT_EQ(p.tasks[0].file_name, "x.jpg");
    EXPECT_EQ(p.tasks[1].file_name, "x-2.jpg");
}

TEST(ProduceTasksWithColumns, AJsonLinesListFillsTheTasksRequestDetails) {
    TempDir temp;
    test::write_file(
        temp / "l.jsonl",
        "{\"url\":\"http://h/a.jpg\",\"referer\":\"http://h/\",\"headers\":{\"X-A\":\"1\"}}\n"
        "not json\n"
        "\n"
        "{\"url\":\"http://h/b.jpg\",\"name\":\"b.png\",\"sha256\":\"" +
            k_hash + "\"}\n");
    const ProducedRows p = produce_rows((temp / "l.jsonl").string());
    ASSERT_EQ(p.tasks.size(), 2U);
    EXPECT_EQ(p.tasks[0].referer, "http://h/");
    EXPECT_EQ(p.tasks[0].headers, (std::vector<std::string>{"X-A: 1"}));
    EXPECT_EQ(p.tasks[0].file_name, "a.jpg");
    EXPECT_EQ(p.tasks[1].line, 4U);
    EXPECT_EQ(p.tasks[1].file_name, "b.png");
    EXPECT_EQ(p.tasks[1].expected_sha256, k_hash);
    ASSERT_EQ(p.immediate.size(), 1U);
    EXPECT_NE(p.immediate[0].error.find("l.jsonl:2: bad JSON"), std::string::npos)
        << p.immediate[0].error;
}

TEST(ProduceTasksWithColumns, AHeaderWithoutTheUrlColumnStopsTheRunBeforeAnyDownload) {
    TempDir temp;
    test::write_file(temp / "l.csv", "link,name\nhttp://h/a,a\n");
    EXPECT_THROW({ const ListInputs lists({(temp / "l.csv").string()}); }, SetupError);
}

TEST(ProduceTasksWithColumns, AnEmptyCsvListHasNoTasksAndNoError) {
    TempDir temp;
    test::write_file(temp / "l.csv", "");
    const ProducedRows p = produce_rows((temp / "l.csv").string());
    EXPECT_TRUE(p.tasks.empty());
    EXPECT_TRUE(p.immediate.empty());
}

TEST(ProduceTasksWithColumns, TheTextFormatReadsACsvNamedListAsText) {
    TempDir temp;
    test::write_file(temp / "l.csv", "http://h/a.jpg\n");
    ListFormat format;
    format.format = InputFormat::text;
    const ProducedRows p = produce_rows((temp / "l.csv").string(), format);
    ASSERT_EQ(p.tasks.size(), 1U);
    EXPECT_EQ(p.tasks[0].url, "http://h/a.jpg");
}

} // namespace
} // namespace imgfetch
