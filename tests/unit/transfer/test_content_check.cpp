#include "imgfetch/transfer/content_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {
namespace {

using namespace std::string_literals;

// A body start: the signature, padded to k_sniff_bytes the way a real file continues.
std::string body(std::string signature) {
    signature.resize(std::max(signature.size(), k_sniff_bytes), '\x11');
    return signature;
}

std::string bmp_with_dib_size(unsigned char size) {
    std::string head = "BM"s + std::string(12, '\0');
    head += static_cast<char>(size);
    head += std::string(3, '\0');
    return body(head);
}

std::string ftyp(std::string_view major, std::string_view compatible = "") {
    std::string box;
    const auto size = static_cast<char>(16 + compatible.size());
    box += "\0\0\0"s + size + "ftyp";
    box += major;
    box += "\0\0\0\0"s; // minor version
    box += compatible;
    return body(box);
}

struct SniffCase {
    std::string name;
    std::string head;
    std::optional<std::string_view> expected;
};

class SniffImageExtension : public ::testing::TestWithParam<SniffCase> {};

TEST_P(SniffImageExtension, RecognisesTheFormatFromTheFirstBytes) {
    EXPECT_EQ(sniff_image_extension(GetParam().head), GetParam().expected) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SniffImageExtension,
    ::testing::Values(
        SniffCase{"jpeg", body("\xFF\xD8\xFF\xE0"), "jpg"},
        SniffCase{"jpeg, exactly three bytes", "\xFF\xD8\xFF", "jpg"},
        SniffCase{"png", body("\x89PNG\r\n\x1A\n"), "png"},
        SniffCase{"png without the final newline", body("\x89PNG\r\n\x1A"), std::nullopt},
        SniffCase{"gif87a", body("GIF87a"), "gif"}, SniffCase{"gif89a", body("GIF89a"), "gif"},
        SniffCase{"gif with unknown version", body("GIF90a"), std::nullopt},
        SniffCase{"webp", body("RIFF\x24\0\0\0WEBPVP8 "s), "webp"},
        SniffCase{"wav is riff but not webp", body("RIFF\x24\0\0\0WAVEfmt "s), std::nullopt},
        SniffCase{"bmp v3", bmp_with_dib_size(40), "bmp"},
        SniffCase{"bmp core", bmp_with_dib_size(12), "bmp"},
        SniffCase{"bmp v5", bmp_with_dib_size(124), "bmp"},
        SniffCase{"text starting with BM", body("BMW is a car maker"), std::nullopt},
        SniffCase{"bmp with odd header size", bmp_with_dib_size(41), std::nullopt},
        SniffCase{"tiff little-endian", body("II*\0"s), "tif"},
        SniffCase{"tiff big-endian", body("MM\0*"s), "tif"},
        SniffCase{"ico", body("\0\0\1\0\1\0"s), "ico"},
        SniffCase{"ico with no images", body("\0\0\1\0\0\0"s), std::nullopt},
        SniffCase{"cursor is not an icon", body("\0\0\2\0\1\0"s), std::nullopt},
        SniffCase{"avif", ftyp("avif", "mif1miaf"), "avif"},
        SniffCase{"avif sequence", ftyp("avis"), "avif"},
        SniffCase{"heic", ftyp("heic", "mif1heic"), "heic"},
        SniffCase{"heix", ftyp("heix"), "heic"}, SniffCase{"heim", ftyp("heim"), "heic"},
        SniffCase{"heis", ftyp("heis"), "heic"}, SniffCase{"generic heif", ftyp("mif1"), "heic"},
        SniffCase{"mif1 listing avif", ftyp("mif1", "mif1avif"), "avif"},
        SniffCase{"mp4 is not an image", ftyp("isom", "avc1mp41"), std::nullopt},
        SniffCase{"quicktime", ftyp("qt  "), std::nullopt},
        SniffCase{"jxl codestream", body("\xFF\x0A"), "jxl"},
        SniffCase{"jxl container", body("\0\0\0\x0CJXL \r\n\x87\n"s), "jxl"},
        SniffCase{"html", body("<!DOCTYPE html><html>"), std::nullopt},
        SniffCase{"svg is not sniffed", body("<svg xmlns=\"http://www.w3.org/2000/svg\">"),
                  std::nullopt},
        SniffCase{"json", body("{\"error\": \"not found\"}"), std::nullopt},
        SniffCase{"pdf", body("%PDF-1.7"), std::nullopt},
        SniffCase{"zeros", std::string(k_sniff_bytes, '\0'), std::nullopt},
        SniffCase{"empty", "", std::nullopt}));

TEST(SniffImageExtension, ReturnsNothingForTooShortPrefixesOfEverySignature) {
    const std::string signatures[] = {"\xFF\xD8\xFF"s,
                                      "\x89PNG\r\n\x1A\n"s,
                                      "GIF89a"s,
                                      "RIFF\0\0\0\0WEBP"s,
                                      bmp_with_dib_size(40).substr(0, 18),
                                      "II*\0"s,
                                      "MM\0*"s,
                                      "\0\0\1\0\1\0"s,
                                      ftyp("avif").substr(0, 12),
                                      ftyp("heic").substr(0, 12),
                                      "\0\0\0\x0CJXL \r\n\x87\n"s};
    for (const std::string& signature : signatures) {
        ASSERT_TRUE(sniff_image_extension(signature).has_value()) << signature.size();
        for (std::size_t size = 0; size < signature.size(); ++size) {
            const std::string_view prefix = std::string_view(signature).substr(0, size);
            EXPECT_FALSE(sniff_image_extension(prefix).has_value())
                << "prefix of " << size << " bytes of a signature of " << signature.size();
        }
    }
}

// --- media types ----------------------------------------------------------------------------

TEST(MediaTypeOf, StripsParametersWhitespaceAndCase) {
    EXPECT_EQ(media_type_of("image/png"), "image/png");
    EXPECT_EQ(media_type_of("Image/PNG; charset=UTF-8"), "image/png");
    EXPECT_EQ(media_type_of("  image/jpeg \t;q=1"), "image/jpeg");
    EXPECT_EQ(media_type_of("text/html;image/png"), "text/html");
    EXPECT_EQ(media_type_of(""), "");
    EXPECT_EQ(media_type_of("  ; x=y"), "");
}

TEST(IsImageMediaType, NeedsTheImageTypeAndASubtype) {
    EXPECT_TRUE(is_image_media_type("image/png"));
    EXPECT_TRUE(is_image_media_type("image/x-anything"));
    EXPECT_TRUE(is_image_media_type("IMAGE/SVG+XML"));
    EXPECT_FALSE(is_image_media_type("image/"));
    EXPECT_FALSE(is_image_media_type("image"));
    EXPECT_FALSE(is_image_media_type("text/html"));
    EXPECT_FALSE(is_image_media_type("application/octet-stream"));
    EXPECT_FALSE(is_image_media_type("video/image"));
    EXPECT_FALSE(is_image_media_type("imagex/png"));
    EXPECT_FALSE(is_image_media_type(""));
}

struct MediaTypeCase {
    std::string media_type;
    std::optional<std::string_view> expected;
};

class ExtensionForMediaType : public ::testing::TestWithParam<MediaTypeCase> {};

TEST_P(ExtensionForMediaType, GivesTheUsualExtension) {
    EXPECT_EQ(extension_for_media_type(GetParam().media_type), GetParam().expected)
        << GetParam().media_type;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ExtensionForMediaType,
    ::testing::Values(
        MediaTypeCase{"image/jpeg", "jpg"}, MediaTypeCase{"image/jpg", "jpg"},
        MediaTypeCase{"image/pjpeg", "jpg"}, MediaTypeCase{"image/png", "png"},
        MediaTypeCase{"image/apng", "png"}, MediaTypeCase{"image/gif", "gif"},
        MediaTypeCase{"image/webp", "webp"}, MediaTypeCase{"image/bmp", "bmp"},
        MediaTypeCase{"image/x-ms-bmp", "bmp"}, MediaTypeCase{"image/tiff", "tif"},
        MediaTypeCase{"image/svg+xml", "svg"}, MediaTypeCase{"image/x-icon", "ico"},
        MediaTypeCase{"image/vnd.microsoft.icon", "ico"}, MediaTypeCase{"image/avif", "avif"},
        MediaTypeCase{"image/heic", "heic"}, MediaTypeCase{"image/heif", "heif"},
        MediaTypeCase{"image/jxl", "jxl"}, MediaTypeCase{"IMAGE/JPEG", "jpg"},
        MediaTypeCase{"image/png; charset=binary", "png"},
        MediaTypeCase{"image/x-unknown", std::nullopt}, MediaTypeCase{"image/", std::nullopt},
        MediaTypeCase{"text/html", std::nullopt}, MediaTypeCase{"", std::nullopt},
        MediaTypeCase{"image/svg", std::nullopt}, MediaTypeCase{"jpeg", std::nullopt}));

TEST(LooksLikeMarkup, SpotsHtmlAndXmlEvenAfterWhitespaceAndABom) {
    EXPECT_TRUE(looks_like_markup("<!DOCTYPE html><html>"));
    EXPECT_TRUE(looks_like_markup("\xEF\xBB\xBF  \r\n<html>"));
    EXPECT_TRUE(looks_like_markup("<?xml version=\"1.0\"?><svg/>"));
    EXPECT_FALSE(looks_like_markup("\x89PNG\r\n\x1a\n"));
    EXPECT_FALSE(looks_like_markup("GIF89a<"));
    EXPECT_FALSE(looks_like_markup(""));
    EXPECT_FALSE(looks_like_markup("   "));
}

} // namespace
} // namespace imgfetch
