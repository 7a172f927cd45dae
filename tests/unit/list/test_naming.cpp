#include "imgfetch/list/naming.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace imgfetch {
namespace {

using namespace std::string_literals;

bool is_utf8_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

// --- percent_decode -------------------------------------------------------------------------

struct DecodeCase {
    std::string input;
    std::string expected;
};

class PercentDecode : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(PercentDecode, DecodesWellFormedEscapesAndKeepsTheRest) {
    EXPECT_EQ(percent_decode(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PercentDecode,
    ::testing::Values(DecodeCase{"", ""}, DecodeCase{"plain.jpg", "plain.jpg"},
                      DecodeCase{"a%20b.jpg", "a b.jpg"}, DecodeCase{"%2F%2f", "//"},
                      DecodeCase{"..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"},
                      DecodeCase{"%C3%A9", "\xC3\xA9"}, DecodeCase{"%00", "\0"s},
                      DecodeCase{"%", "%"}, DecodeCase{"%4", "%4"}, DecodeCase{"a%", "a%"},
                      DecodeCase{"%zz", "%zz"}, DecodeCase{"%4g", "%4g"}, DecodeCase{"%%41", "%A"},
                      DecodeCase{"%2541", "%41"}, DecodeCase{"+", "+"}));

// --- sanitize_file_name ---------------------------------------------------------------------

struct SanitizeCase {
    std::string input;
    std::string expected;
};

class SanitizeFileName : public ::testing::TestWithParam<SanitizeCase> {};

TEST_P(SanitizeFileName, MakesAPlainSafeName) {
    EXPECT_EQ(sanitize_file_name(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SanitizeFileName,
    ::testing::Values(
        SanitizeCase{"photo.jpg", "photo.jpg"}, SanitizeCase{"my photo.jpg", "my photo.jpg"},
        SanitizeCase{"caf\xC3\xA9.png", "caf\xC3\xA9.png"},
        // Path separators and traversal.
        SanitizeCase{"../../etc/passwd", "_.._etc_passwd"},
        SanitizeCase{"/etc/passwd", "_etc_passwd"},
        SanitizeCase{"..\\..\\windows\\win.ini", "_.._windows_win.ini"},
        SanitizeCase{"C:\\x.jpg", "C__x.jpg"},
        // Control and Windows-reserved characters.
        SanitizeCase{"a\0b.jpg"s, "a_b.jpg"}, SanitizeCase{"a\nb\rc\x1B\x7F.jpg", "a_b_c__.jpg"},
        SanitizeCase{"a<b>c:d\"e|f?g*h.jpg", "a_b_c_d_e_f_g_h.jpg"},
        // Dots and spaces at either end.
        SanitizeCase{".", "index"}, SanitizeCase{"..", "index"}, SanitizeCase{"...", "index"},
        SanitizeCase{"", "index"}, SanitizeCase{"   ", "index"}, SanitizeCase{". . .", "index"},
        SanitizeCase{".hidden", "hidden"}, SanitizeCase{" . .bashrc", "bashrc"},
        SanitizeCase{"name.", "name"}, SanitizeCase{"name . ", "name"},
        SanitizeCase{" a b ", "a b"}, SanitizeCase{"\t.jpg", "_.jpg"},
        // Windows device names, with or without extension, in any case.
        SanitizeCase{"CON", "_CON"}, SanitizeCase{"con.jpg", "_con.jpg"},
        SanitizeCase{"Prn.txt", "_Prn.txt"}, SanitizeCase{"aux", "_aux"},
        SanitizeCase{"NUL.tar.gz", "_NUL.tar.gz"}, SanitizeCase{"com1", "_com1"},
        SanitizeCase{"COM9.png", "_COM9.png"}, SanitizeCase{"lpt5", "_lpt5"},
        SanitizeCase{"con .jpg", "_con .jpg"}, SanitizeCase{"CON.", "_CON"},
        SanitizeCase{"com0", "com0"}, SanitizeCase{"com10", "com10"},
        SanitizeCase{"console.jpg", "console.jpg"}, SanitizeCase{"icon.png", "icon.png"},
        SanitizeCase{"nul_.png", "nul_.png"}));

TEST(SanitizeFileName, ShortensLongNamesKeepingTheExtension) {
    const std::string name = sanitize_file_name(std::string(500, 'a') + ".jpeg");
    EXPECT_EQ(name.size(), k_max_name_bytes);
    EXPECT_EQ(name, std::string(k_max_name_bytes - 5, 'a') + ".jpeg");
}

TEST(SanitizeFileName, ShortensLongNamesWithoutExtensionToTheLimit) {
    EXPECT_EQ(sanitize_file_name(std::string(500, 'b')), std::string(k_max_name_bytes, 'b'));
}

TEST(SanitizeFileName, DropsAnOverlongExtensionWhenShortening) {
    const std::string name = sanitize_file_name(std::string(300, 'a') + "." + std::string(17, 'e'));
    EXPECT_EQ(name, std::string(k_max_name_bytes, 'a'));
}

TEST(SanitizeFileName, KeepsNamesOfExactlyTheLimit) {
    const std::string exact = std::string(k_max_name_bytes - 4, 'a') + ".png";
    EXPECT_EQ(sanitize_file_name(exact), exact);
}

TEST(SanitizeFileName, NeverCutsAMultibyteCharacterInHalf) {
    // Every offset of the cut against 2-, 3- and 4-byte characters.
    for (const std::string_view character : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
        for (std::size_t offset = 0; offset < 4; ++offset) {
            for (const std::string_view extension : {"", ".jpg"}) {
                std::string input(offset, 'x');
                while (input.size() < 400) {
                    input += character;
                }
                input += extension;
                const std::string name = sanitize_file_name(input);
                ASSERT_LE(name.size(), k_max_name_bytes);
                EXPECT_GE(name.size(), k_max_name_bytes - 3);
                EXPECT_TRUE(name.ends_with(extension));
                const std::string stem = name.substr(0, name.size() - extension.size());
                // The stem is whole characters: its size is the prefix plus a multiple.
                EXPECT_EQ((stem.size() - offset) % character.size(), 0U)
                    << "offset " << offset << " char size " << character.size();
                EXPECT_FALSE(is_utf8_continuation(stem[offset]));
            }
        }
    }
}

TEST(SanitizeFileName, ShortenedNameDoesNotEndInADotOrSpace) {
    const std::string name =
        sanitize_file_name(std::string("a").append(k_max_name_bytes + 50, ' ').append("b"));
    EXPECT_EQ(name, "a");
}

TEST(SanitizeFileName, ResultNeverContainsAForbiddenByte) {
    std::string every_byte;
    for (int b = 0; b < 256; ++b) {
        every_byte += static_cast<char>(b);
    }
    const std::string name = sanitize_file_name(every_byte);
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        EXPECT_FALSE(byte < 0x20 || byte == 0x7F) << static_cast<int>(byte);
        EXPECT_EQ(std::string_view("/\\<>:\"|?*").find(c), std::string_view::npos) << c;
    }
}

// --- name_from_url --------------------------------------------------------------------------

struct UrlNameCase {
    std::string url;
    std::string expected;
};

class NameFromUrl : public ::testing::TestWithParam<UrlNameCase> {};

TEST_P(NameFromUrl, TakesTheDecodedSanitizedLastPathSegment) {
    EXPECT_EQ(name_from_url(GetParam().url), GetParam().expected) << GetParam().url;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NameFromUrl,
    ::testing::Values(
        UrlNameCase{"http://example.com/a/b/photo.jpg", "photo.jpg"},
        UrlNameCase{"HTTPS://EXAMPLE.COM/A/Photo.JPG", "Photo.JPG"},
        UrlNameCase{"http://example.com/photo.jpg?size=large#top", "photo.jpg"},
        UrlNameCase{"http://example.com/dir/?file=x.jpg", "index"},
        UrlNameCase{"http://example.com/", "index"}, UrlNameCase{"http://example.com", "index"},
        UrlNameCase{"http://example.com/a/", "index"},
        UrlNameCase{"http://example.com/my%20photo.jpg", "my photo.jpg"},
        UrlNameCase{"http://example.com/caf%C3%A9.png", "caf\xC3\xA9.png"},
        // Traversal, encoded or not, never leaves a separator.
        UrlNameCase{"http://h/a/b%2F..%2F..%2Fetc%2Fpasswd", "b_.._.._etc_passwd"},
        UrlNameCase{"http://h/..%2F..%2Fetc%2Fpasswd", "_.._etc_passwd"},
        UrlNameCase{"http://h/%2e%2e", "index"}, UrlNameCase{"http://h/a/..", "index"},
        UrlNameCase{"http://h/a/../../etc/passwd", "passwd"},
        UrlNameCase{"http://h/%2Fetc%2Fpasswd", "_etc_passwd"},
        UrlNameCase{"http://h/a%5C..%5Cwin.ini", "a_.._win.ini"},
        UrlNameCase{"http://h/x%00.jpg", "x_.jpg"},
        UrlNameCase{"http://h/%1B%5B2J.png", "_[2J.png"},
        UrlNameCase{"http://h/.htaccess", "htaccess"}, UrlNameCase{"http://h/con.jpg", "_con.jpg"},
        UrlNameCase{"http://h/%zz.jpg", "%zz.jpg"},
        // Not parseable by libcurl: the manual split still finds the segment.
        UrlNameCase{"http://h/a b.jpg?x", "a b.jpg"},
        UrlNameCase{"http://h/a/b%2F..%2Fc d.png#frag", "b_.._c d.png"},
        UrlNameCase{"not a url", "not a url"}, UrlNameCase{"", "index"}));

TEST(NameFromUrl, ShortensAVeryLongSegment) {
    const std::string name = name_from_url("http://h/" + std::string(1000, 'x') + ".png");
    EXPECT_EQ(name, std::string(k_max_name_bytes - 4, 'x') + ".png");
}

// --- extension_of / has_image_extension -----------------------------------------------------

TEST(ExtensionOf, IsTheLowerCasedTextAfterTheLastDot) {
    EXPECT_EQ(extension_of("photo.JPG"), "jpg");
    EXPECT_EQ(extension_of("a.tar.GZ"), "gz");
    EXPECT_EQ(extension_of("photo"), "");
    EXPECT_EQ(extension_of(".jpg"), "");
    EXPECT_EQ(extension_of("photo."), "");
    EXPECT_EQ(extension_of(""), "");
}

TEST(HasImageExtension, RecognisesEveryImageExtensionInAnyCase) {
    for (const std::string_view name :
         {"a.jpg", "a.jpeg", "a.png", "a.gif", "a.webp", "a.bmp", "a.tif", "a.tiff", "a.svg",
          "a.ico", "a.avif", "a.heic", "a.heif", "a.jxl", "A.JPG", "a.PnG", "x.y.WebP"}) {
        EXPECT_TRUE(has_image_extension(name)) << name;
    }
}

TEST(HasImageExtension, RejectsOtherExtensionsAndBareDots) {
    for (const std::string_view name :
         {"a", "a.php", "a.html", "a.jpg.exe", "jpg", ".jpg", "a.jpgx", "a.", "a.jp"}) {
        EXPECT_FALSE(has_image_extension(name)) << name;
    }
}

// --- NameAllocator --------------------------------------------------------------------------

std::vector<ReservedName> reserve_all(NameAllocator& allocator,
                                      const std::vector<std::string>& wanted) {
    std::vector<ReservedName> names;
    for (const std::string& name : wanted) {
        names.push_back(allocator.reserve(name));
    }
    return names;
}

TEST(NameAllocator, FirstNameIsGivenAsIs) {
    NameAllocator allocator;
    const ReservedName name = allocator.reserve("photo.jpg");
    EXPECT_EQ(name.name, "photo.jpg");
    EXPECT_FALSE(name.needs_extension);
}

TEST(NameAllocator, NameWithoutImageExtensionIsAStemThatNeedsOne) {
    NameAllocator allocator;
    EXPECT_TRUE(allocator.reserve("image").needs_extension);
    EXPECT_TRUE(allocator.reserve("view.php").needs_extension);
    EXPECT_FALSE(allocator.reserve("x.PNG").needs_extension);
}

TEST(NameAllocator, CollisionsGetNumberedBeforeTheExtension) {
    NameAllocator allocator;
    const auto names = reserve_all(allocator, {"photo.jpg", "photo.jpg", "photo.jpg", "a.php",
                                               "a.php", "index", "index", ".x", ".x"});
    EXPECT_EQ(names[0].name, "photo.jpg");
    EXPECT_EQ(names[1].name, "photo-2.jpg");
    EXPECT_EQ(names[2].name, "photo-3.jpg");
    EXPECT_EQ(names[3].name, "a.php");
    EXPECT_EQ(names[4].name, "a-2.php");
    EXPECT_EQ(names[5].name, "index");
    EXPECT_EQ(names[6].name, "index-2");
    EXPECT_EQ(names[7].name, ".x");
    EXPECT_EQ(names[8].name, ".x-2"); // a leading dot is not an extension
}

TEST(NameAllocator, NumberedNamesOfTheLongestNameStayWithinTheLimit) {
    NameAllocator allocator;
    const std::string with_extension = std::string(k_max_name_bytes - 4, 'a') + ".png";
    const std::string without = std::string(k_max_name_bytes, 'b');
    std::vector<std::string> wanted(12, with_extension);
    wanted.insert(wanted.end(), 3, without);
    const auto names = reserve_all(allocator, wanted);

    EXPECT_EQ(names[0].name, with_extension);
    EXPECT_EQ(names[1].name, std::string(k_max_name_bytes - 6, 'a') + "-2.png");
    EXPECT_EQ(names[9].name, std::string(k_max_name_bytes - 7, 'a') + "-10.png");
    EXPECT_EQ(names[12].name, without);
    EXPECT_EQ(names[13].name, std::string(k_max_name_bytes - 2, 'b') + "-2");
    for (const ReservedName& name : names) {
        EXPECT_LE(name.name.size(), k_max_name_bytes) << name.name;
        EXPECT_EQ(sanitize_file_name(name.name), name.name);
    }
}

TEST(NameAllocator, NumberingCutsTheStemOnACharacterBoundary) {
    NameAllocator allocator;
    std::string euros; // 198 bytes of 3-byte characters, then ".x" (200 bytes)
    while (euros.size() < k_max_name_bytes - 2) {
        euros += "\xE2\x82\xAC";
    }
    allocator.reserve(euros + ".x");
    const std::string numbered = allocator.reserve(euros + ".x").name;
    // Room for 200 - 4 = 196 bytes of stem: 65 whole euros (195 bytes), not 65 and a third.
    EXPECT_EQ(numbered, euros.substr(0, 195) + "-2.x");
}

TEST(NameAllocator, AnExtensionThatLeavesNoRoomIsNumberedAtTheEnd) {
    NameAllocator allocator;
    const std::string name = "a." + std::string(k_max_name_bytes - 2, 'e'); // 200 bytes
    allocator.reserve(name);
    const std::string numbered = allocator.reserve(name).name;
    EXPECT_EQ(numbered, name.substr(0, k_max_name_bytes - 2) + "-2");
}

TEST(NameAllocator, StemWithoutExtensionBlocksEveryExtensionOfThatStem) {
    NameAllocator allocator;
    EXPECT_EQ(allocator.reserve("photo").name, "photo");
    // "photo" may become "photo.jpg" or "photo.png": neither can be handed out.
    EXPECT_EQ(allocator.reserve("photo.jpg").name, "photo-2.jpg");
    EXPECT_EQ(allocator.reserve("photo.png").name, "photo-2.png");
}

TEST(NameAllocator, CompleteNameBlocksItsStem) {
    NameAllocator allocator;
    EXPECT_EQ(allocator.reserve("photo.gif").name, "photo.gif");
    const ReservedName stem = allocator.reserve("photo");
    EXPECT_TRUE(stem.needs_extension);
    EXPECT_EQ(stem.name, "photo-2");
}

TEST(NameAllocator, NumberedNameSkipsNamesAlreadyTakenLiterally) {
    NameAllocator allocator;
    const auto names = reserve_all(allocator, {"photo-2.jpg", "photo.jpg", "photo.jpg"});
    EXPECT_EQ(names[0].name, "photo-2.jpg");
    EXPECT_EQ(names[1].name, "photo.jpg");
    EXPECT_EQ(names[2].name, "photo-3.jpg");
}

TEST(NameAllocator, IsDeterministic) {
    const std::vector<std::string> wanted = {"a.jpg", "a",   "a.png", "a.jpg", "b.php",
                                             "b.php", "a-2", "index", "a",     "a.jpg"};
    NameAllocator first;
    NameAllocator second;
    const auto one = reserve_all(first, wanted);
    const auto two = reserve_all(second, wanted);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        EXPECT_EQ(one[i].name, two[i].name);
        EXPECT_EQ(one[i].needs_extension, two[i].needs_extension);
    }
}

// Whatever extension the downloader later gives each stem, no two final names are equal.
TEST(NameAllocator, FinalNamesStayUniqueAfterExtensionsAreAdded) {
    const std::vector<std::string> wanted = {
        "photo",   "photo.jpg", "photo.png", "photo",   "photo-2", "photo-2.jpg", "photo.jpg",
        "x.php",   "x.php.jpg", "x.php",     "x-2.php", "index",   "index",       "index.png",
        "index-2", "a.b",       "a.b.gif",   "a-2.b",   "a.b"};
    for (const std::string_view extension : {"jpg", "png", "gif"}) {
        NameAllocator allocator;
        std::unordered_set<std::string> finals;
        for (const std::string& name : wanted) {
            const ReservedName reserved = allocator.reserve(name);
            const std::string final_name = reserved.needs_extension
                                               ? reserved.name + "." + std::string(extension)
                                               : reserved.name;
            EXPECT_TRUE(finals.insert(final_name).second)
                << "duplicate " << final_name << " for " << name;
        }
    }
}

TEST(NameAllocator, ManyCopiesOfOneNameStayCheap) {
    NameAllocator allocator;
    ReservedName last;
    for (int i = 0; i < 100'000; ++i) {
        last = allocator.reserve("index");
    }
    EXPECT_EQ(last.name, "index-100000");
}

// Every key of the allocator's table gets the same fingerprint: names must come out as
// with a real hash, decided by the stored names alone.
std::uint64_t colliding_hash(std::string_view /*key*/) {
    return 7;
}

TEST(NameAllocator, NamesAreExactEvenWhenEveryFingerprintCollides) {
    const std::vector<std::string> wanted = {
        "photo",   "photo.jpg", "photo.png", "photo",   "photo-2", "photo-2.jpg", "photo.jpg",
        "x.php",   "x.php.jpg", "x.php",     "x-2.php", "index",   "index",       "index.png",
        "index-2", "a.b",       "a.b.gif",   "a-2.b",   "a.b",     "photo.jpg",   "index"};
    NameAllocator real;
    NameAllocator colliding(StringTable::Limits{}, &colliding_hash);
    const auto expected = reserve_all(real, wanted);
    const auto got = reserve_all(colliding, wanted);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        EXPECT_EQ(got[i].name, expected[i].name) << "for " << wanted[i];
        EXPECT_EQ(got[i].needs_extension, expected[i].needs_extension);
    }
}

// The allocator's memory does not grow with the list: past its limit the names live in a
// temporary file. 30,000 names (50,000 keys) kept in memory would take megabytes.
TEST(NameAllocator, MemoryStaysBoundedForALongList) {
    NameAllocator allocator;
    std::size_t peak = 0;
    for (int i = 0; i < 30'000; ++i) {
        const ReservedName name = allocator.reserve("photo" + std::to_string(i % 20'000) + ".jpg");
        if (i == 20'000) {
            EXPECT_EQ(name.name, "photo0-2.jpg") << "names reserved before the spill still count";
        }
        peak = std::max(peak, allocator.memory_bytes());
    }
    EXPECT_LE(peak, 512U * 1024U); // index and log buffer at their limits
    EXPECT_EQ(allocator.reserve("photo19999.jpg").name, "photo19999-2.jpg");
    EXPECT_EQ(allocator.reserve("photo0.jpg").name, "photo0-3.jpg");
}

// Workers reserve Content-Disposition names while the main thread reserves list names: the
// registry's lock covers the table also once it has spilled to disk.
TEST(NameRegistry, ConcurrentReservationsStayUniquePastTheMemoryLimit) {
    NameRegistry registry;
    constexpr int k_threads = 4;
    constexpr int k_per_thread = 3000;
    std::vector<std::vector<std::string>> names(k_threads);
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < k_threads; ++t) {
            threads.emplace_back([&registry, &mine = names[t]] {
                for (int i = 0; i < k_per_thread; ++i) {
                    mine.push_back(registry.reserve("p" + std::to_string(i) + ".jpg").name);
                }
            });
        }
    }
    std::unordered_set<std::string> all;
    for (const auto& mine : names) {
        for (const std::string& name : mine) {
            EXPECT_TRUE(all.insert(name).second) << "handed out twice: " << name;
        }
    }
    EXPECT_EQ(all.size(), std::size_t{k_threads} * k_per_thread);
    EXPECT_LE(registry.memory_bytes(), 512U * 1024U);
}

TEST(SanitizeFileName, ShorteningNeverUncoversADeviceName) {
    const std::string name = sanitize_file_name(std::string("con").append(300, ' ').append("x"));
    EXPECT_EQ(name, "_con");
    EXPECT_EQ(sanitize_file_name(name), name) << "sanitizing is idempotent";
}

TEST(SanitizeFileName, ADeviceNameCutToTheLimitStaysWithinItAfterItsUnderscore) {
    const std::string name = sanitize_file_name(std::string("con..").append(300, 'x'));
    EXPECT_LE(name.size(), k_max_name_bytes);
    EXPECT_EQ(name.front(), '_');
}

} // namespace
} // namespace imgfetch
