// Every format's real sample (tests/data/images/, made with ImageMagick): accepted whole in any
// chunking, with its format and size; refused when cut at any offset.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imgfetch/image/image_check.hpp"
#include "unit/image/image_samples.hpp"

namespace imgfetch {
namespace {

using test::check_image;
using test::sample_image;

struct Sample {
    const char* file;
    const char* format;
    std::uint32_t width;
    std::uint32_t height;
    std::uint32_t frames;
};

const std::vector<Sample> k_samples = {
    {"sample.jpg", "jpeg", 37, 23, 1},    {"progressive.jpg", "jpeg", 37, 23, 1},
    {"sample.png", "png", 37, 23, 1},     {"sample.gif", "gif", 37, 23, 1},
    {"animated.gif", "gif", 37, 23, 3},   {"sample.webp", "webp", 37, 23, 1},
    {"lossless.webp", "webp", 37, 23, 1}, {"animated.webp", "webp", 37, 23, 3},
    {"sample.bmp", "bmp", 37, 23, 1},     {"sample.tif", "tiff", 37, 23, 1},
    {"tiled.tif", "tiff", 37, 23, 1},     {"bigendian.tif", "tiff", 37, 23, 1},
    {"sample.ico", "ico", 37, 37, 1},     {"sample.avif", "avif", 37, 23, 1},
    {"sample.heic", "heic", 37, 23, 1},   {"sample.svg", "svg", 37, 23, 1},
};

std::string name_of(const ImageCheck& check) {
    return check.facts.format ? std::string(format_name(*check.facts.format)) : "none";
}

TEST(ImageSamples, EveryFormatIsAcceptedWithItsFormatSizeAndFrames) {
    for (const auto& sample : k_samples) {
        SCOPED_TRACE(sample.file);
        const std::string body = sample_image(sample.file);
        const ImageCheck check = check_image(body);
        EXPECT_TRUE(check.ok()) << check.message();
        EXPECT_EQ(name_of(check), sample.format);
        EXPECT_EQ(check.facts.width, sample.width);
        EXPECT_EQ(check.facts.height, sample.height);
        EXPECT_EQ(check.facts.frames, sample.frames);
    }
}

TEST(ImageSamples, TheVerdictDoesNotDependOnHowTheBodyIsChunked) {
    for (const auto& sample : k_samples) {
        SCOPED_TRACE(sample.file);
        const std::string body = sample_image(sample.file);
        for (const std::size_t piece : {1, 2, 3, 7, 64, 1000}) {
            const ImageCheck check = check_image(body, piece);
            EXPECT_TRUE(check.ok()) << "pieces of " << piece << ": " << check.message();
            EXPECT_EQ(check.facts.width, sample.width) << "pieces of " << piece;
        }
    }
}

TEST(ImageSamples, ACutAtAnyOffsetIsNeverAccepted) {
    for (const auto& sample : k_samples) {
        SCOPED_TRACE(sample.file);
        const std::string body = sample_image(sample.file);
        // An SVG's trailing newline is outside its document: cutting only that loses nothing.
        const std::size_t whole = std::string_view(sample.format) == "svg"
                                      ? body.find_last_not_of(" \t\r\n") + 1
                                      : body.size();
        for (std::size_t length = 0; length < whole; ++length) {
            const ImageCheck check = check_image(std::string_view(body).substr(0, length), 512);
            if (check.ok()) {
                ADD_FAILURE() << "accepted when cut to " << length << " of " << body.size();
                break;
            }
            if (length >= 12) { // fewer bytes may not say which format (ISOBMFF, RIFF)
                EXPECT_NE(check.verdict, ImageVerdict::unknown_format) << "cut to " << length;
            }
        }
    }
}

TEST(ImageSamples, ACutIsReportedAsTruncatedWithTheFormatInTheMessage) {
    const std::string png = sample_image("sample.png");
    const ImageCheck cut = check_image(std::string_view(png).substr(0, png.size() - 12));
    EXPECT_EQ(cut.verdict, ImageVerdict::truncated);
    EXPECT_EQ(cut.message(), "truncated image (PNG: no IEND chunk)");

    const std::string jpeg = sample_image("sample.jpg");
    EXPECT_EQ(check_image(std::string_view(jpeg).substr(0, jpeg.size() - 2)).message(),
              "truncated image (JPEG: no EOI marker)");
    const std::string gif = sample_image("animated.gif");
    EXPECT_EQ(check_image(std::string_view(gif).substr(0, gif.size() - 1)).message(),
              "truncated image (GIF: no trailer (0x3B))");
}

} // namespace
} // namespace imgfetch
