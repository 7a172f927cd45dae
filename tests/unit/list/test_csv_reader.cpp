// CsvReader: RFC 4180 records streamed from a list, with their first line's number, and the
// bad records it reports without losing the rest.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "imgfetch/list/csv_reader.hpp"

namespace imgfetch {
namespace {

std::vector<CsvRecord>
read_all(const std::string& text, char separator = ',',
         std::size_t max_record_bytes = CsvReader::k_default_max_record_bytes) {
    std::istringstream in(text);
    CsvReader reader(in, separator, max_record_bytes);
    std::vector<CsvRecord> records;
    CsvRecord record;
    while (reader.next(record)) {
        records.push_back(record);
    }
    return records;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, SplitsPlainRecordsAndNumbersTheirLines) {
    const auto records = read_all("url,name\nhttp://h/a,a.jpg\nhttp://h/b,b.jpg\n");
    ASSERT_EQ(records.size(), 3U);
    EXPECT_EQ(records[0].fields, (Fields{"url", "name"}));
    EXPECT_EQ(records[2].fields, (Fields{"http://h/b", "b.jpg"}));
    EXPECT_EQ(records[2].line, 3U);
    for (const auto& record : records) {
        EXPECT_TRUE(record.error.empty()) << record.error;
    }
}

TEST(CsvReader, QuotedFieldsHoldSeparatorsDoubledQuotesAndLineBreaks) {
    const auto records = read_all("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\nlast,one\n");
    ASSERT_EQ(records.size(), 4U);
    EXPECT_EQ(records[1].fields, (Fields{"x,y", "say \"hi\""}));
    EXPECT_EQ(records[2].fields, (Fields{"two\nlines", "z"}));
    EXPECT_EQ(records[2].line, 3U); // the record's first line
    EXPECT_EQ(records[3].line, 5U); // the line break inside quotes counted
}

TEST(CsvReader, CrlfEndsRecordsLikeLfAndABomIsSkipped) {
    const auto records = read_all("\xEF\xBB\xBFurl,n\r\nhttp://h/a,\"q\"\r\nhttp://h/b,c\r");
    ASSERT_EQ(records.size(), 3U);
    EXPECT_EQ(records[0].fields, (Fields{"url", "n"}));
    EXPECT_EQ(records[1].fields, (Fields{"http://h/a", "q"}));
    EXPECT_EQ(records[2].fields, (Fields{"http://h/b", "c"}));
}

TEST(CsvReader, BytesThatOnlyStartLikeABomAreData) {
    const auto records = read_all("\xEF\xBBx,y\n");
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].fields, (Fields{"\xEF\xBBx", "y"}));
}

TEST(CsvReader, AnEmptyLineIsARecordOfOneEmptyField) {
    const auto records = read_all("a\n\nb\n");
    ASSERT_EQ(records.size(), 3U);
    EXPECT_EQ(records[1].fields, (Fields{""}));
    EXPECT_EQ(records[2].line, 3U);
}

TEST(CsvReader, TextAfterAClosingQuoteIsABadRecordAndTheNextLineReadsOn) {
    const auto records = read_all("\"ab\"c,d\nok,1\n");
    ASSERT_EQ(records.size(), 2U);
    EXPECT_NE(records[0].error.find("closing quote"), std::string::npos) << records[0].error;
    EXPECT_TRUE(records[1].error.empty());
    EXPECT_EQ(records[1].fields, (Fields{"ok", "1"}));
    EXPECT_EQ(records[1].line, 2U);
}

TEST(CsvReader, AQuoteInsideAnUnquotedFieldIsKept) {
    const auto records = read_all("5\"2,x\n");
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].fields, (Fields{"5\"2", "x"}));
}

TEST(CsvReader, AQuoteNeverClosedIsReportedAtTheEnd) {
    const auto records = read_all("a,b\n\"open,b\nmore\n");
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[1].line, 2U);
    EXPECT_NE(records[1].error.find("not closed"), std::string::npos) << records[1].error;
}

TEST(CsvReader, ARecordLongerThanTheLimitIsReportedAndTheReaderResynchronises) {
    // An unclosed quote would swallow the list: the limit ends it at the line it is on.
    const std::string text = "a,b\n\"" + std::string(100, 'x') + "\nnext,2\n";
    const auto records = read_all(text, ',', 32);
    ASSERT_EQ(records.size(), 3U);
    EXPECT_NE(records[1].error.find("longer than 32 bytes"), std::string::npos);
    EXPECT_EQ(records[2].fields, (Fields{"next", "2"}));
    EXPECT_EQ(records[2].line, 3U);
}

TEST(CsvReader, TabSeparatesTsvFieldsAndCommasAreData) {
    const auto records = read_all("url\tname\nhttp://h/a,b\t\"t\tab\"\n", '\t');
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[1].fields, (Fields{"http://h/a,b", "t\tab"}));
}

TEST(CsvReader, EmptyFieldsAndATrailingSeparatorCount) {
    const auto records = read_all(",x,\n");
    ASSERT_EQ(records.size(), 1U);
    EXPECT_EQ(records[0].fields, (Fields{"", "x", ""}));
}

TEST(CsvReader, AnEmptyInputHasNoRecords) {
    EXPECT_TRUE(read_all("").empty());
    EXPECT_TRUE(read_all("\xEF\xBB\xBF").empty());
}

} // namespace
} // namespace imgfetch
