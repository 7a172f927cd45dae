#include "imgfetch/util/text_escape.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace imgfetch {
namespace {

using namespace std::string_literals;

struct PrintableCase {
    std::string input;
    std::string expected;
};

class PrintableTable : public ::testing::TestWithParam<PrintableCase> {};

TEST_P(PrintableTable, EscapesExactlyWhatCouldHarmATerminal) {
    EXPECT_EQ(printable(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PrintableTable,
    ::testing::Values(
        PrintableCase{"", ""},
        PrintableCase{"http://example.com/a.jpg", "http://example.com/a.jpg"},
        // Valid UTF-8 of every length passes through.
        PrintableCase{"caf\xC3\xA9", "caf\xC3\xA9"},           // U+00E9
        PrintableCase{"\xE2\x82\xAC", "\xE2\x82\xAC"},         // U+20AC
        PrintableCase{"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"}, // U+1F600
        PrintableCase{"\xC2\xA0", "\xC2\xA0"},                 // U+00A0, first after C1
        PrintableCase{"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"}, // U+10FFFF
        // C0 controls, DEL.
        PrintableCase{"a\x1B[31mred", "a\\x1B[31mred"}, PrintableCase{"\n\r\t", "\\x0A\\x0D\\x09"},
        PrintableCase{"\x00"s, "\\x00"}, PrintableCase{"\x1F\x7F", "\\x1F\\x7F"},
        // C1 controls, encoded as UTF-8, are escaped byte by byte.
        PrintableCase{"\xC2\x80", "\\xC2\\x80"}, PrintableCase{"\xC2\x9B", "\\xC2\\x9B"},
        PrintableCase{"\xC2\x9F", "\\xC2\\x9F"},
        // A backslash is doubled so that an escape in the output is never ambiguous.
        PrintableCase{"a\\x41", "a\\\\x41"},
        // Invalid UTF-8: stray continuation, lone lead byte, truncated sequence at the end.
        PrintableCase{"\x80", "\\x80"}, PrintableCase{"\xC3(", "\\xC3("},
        PrintableCase{"a\xE2\x82", "a\\xE2\\x82"},
        // Overlong forms, surrogates, beyond U+10FFFF, bytes never used in UTF-8.
        PrintableCase{"\xC0\xAF", "\\xC0\\xAF"}, PrintableCase{"\xC1\xBF", "\\xC1\\xBF"},
        PrintableCase{"\xE0\x80\xAF", "\\xE0\\x80\\xAF"},
        PrintableCase{"\xF0\x80\x80\xAF", "\\xF0\\x80\\x80\\xAF"},
        PrintableCase{"\xED\xA0\x80", "\\xED\\xA0\\x80"},
        PrintableCase{"\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"},
        PrintableCase{"\xF5\x80\x80\x80", "\\xF5\\x80\\x80\\x80"},
        PrintableCase{"\xFE\xFF", "\\xFE\\xFF"}));

TEST(Printable, InvalidLeadByteDoesNotSwallowTheValidCharacterAfterIt) {
    EXPECT_EQ(printable("\xE2\xC3\xA9"), "\\xE2\xC3\xA9");
}

TEST(Printable, OutputNeverContainsAControlByte) {
    std::string every_byte;
    for (int b = 0; b < 256; ++b) {
        every_byte += static_cast<char>(b);
    }
    const std::string out = printable(every_byte);
    for (const char c : out) {
        const auto byte = static_cast<unsigned char>(c);
        EXPECT_FALSE(byte < 0x20 || byte == 0x7F) << "byte " << static_cast<int>(byte);
    }
    // Every byte from 0x80 up is alone here, so none of them forms a character.
    EXPECT_EQ(out.find('\x80'), std::string::npos);
}

TEST(Printable, UsesUppercaseHex) {
    EXPECT_EQ(printable("\xAB"), "\\xAB");
}

TEST(XmlEscape, EscapesTheFiveXmlSpecials) {
    EXPECT_EQ(xml_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    EXPECT_EQ(xml_escape("caf\xC3\xA9 plain"), "caf\xC3\xA9 plain");
}

TEST(XmlText, EscapesControlBytesAndInvalidUtf8ThenXml) {
    EXPECT_EQ(xml_text("<\x01\xFF>", 100), "&lt;\\x01\\xFF&gt;");
}

TEST(XmlText, CutsLongTextOnACharacterBoundary) {
    // "aé" is 3 bytes: a cut after 2 would split the é, so it falls back to 1.
    EXPECT_EQ(xml_text("a\xC3\xA9z", 2), "a...");
    EXPECT_EQ(xml_text("abcdef", 3), "abc...");
    EXPECT_EQ(xml_text("abc", 3), "abc");
}

} // namespace
} // namespace imgfetch
