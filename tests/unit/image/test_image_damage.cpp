// Damaged real images: single-bit flips (every one in PNG, and in the size fields of the other
// formats, must be caught), plus the checks each format makes beyond the samples.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cstdio>
#include <string>
#include <vector>

#include "imgfetch/image/image_check.hpp"
#include "unit/image/image_samples.hpp"

namespace imgfetch {
namespace {

using test::check_image;
using test::sample_image;

std::string flipped(std::string body, std::size_t offset, int bit) {
    body[offset] = static_cast<char>(body[offset] ^ (1 << bit));
    return body;
}

// How many single-bit flips of bytes [from, to) the check refuses.
std::size_t flips_caught(const std::string& body, std::size_t from, std::size_t to) {
    std::size_t caught = 0;
    for (std::size_t offset = from; offset < to; ++offset) {
        for (int bit = 0; bit < 8; ++bit) {
            caught += check_image(flipped(body, offset, bit)).ok() ? 0 : 1;
        }
    }
    return caught;
}

std::string be32_bytes(std::uint32_t value) {
    return {static_cast<char>(value >> 24U), static_cast<char>(value >> 16U),
            static_cast<char>(value >> 8U), static_cast<char>(value)};
}

std::string png_chunk(const std::string& type, const std::string& data) {
    const std::string covered = type + data;
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(covered.data()),
                           static_cast<uInt>(covered.size()));
    return be32_bytes(static_cast<std::uint32_t>(data.size())) + covered +
           be32_bytes(static_cast<std::uint32_t>(crc));
}

TEST(ImageDamage, EverySingleBitFlipInAPngIsCaught) {
    const std::string png = sample_image("sample.png");
    EXPECT_EQ(flips_caught(png, 0, png.size()), png.size() * 8);
}

TEST(ImageDamage, AFlipInIdatDataIsACrcMismatchInIdat) {
    const std::string png = sample_image("sample.png");
    const std::size_t idat = png.find("IDAT");
    ASSERT_NE(idat, std::string::npos);
    const ImageCheck check = check_image(flipped(png, idat + 10, 3));
    EXPECT_EQ(check.verdict, ImageVerdict::corrupt);
    EXPECT_EQ(check.message(), "corrupt image (PNG: CRC mismatch in IDAT)");
}

TEST(ImageDamage, EveryFlipInASizeFieldIsCaught) {
    struct Field {
        const char* file;
        std::size_t from;
        std::size_t to;
    };
    // WebP: the RIFF size; BMP: the file-size field; ICO: the image's size and offset; GIF and
    // TIFF: the header signature; JPEG: SOI and the APP0 length.
    for (const Field& field :
         {Field{"sample.webp", 4, 8}, Field{"animated.webp", 4, 8}, Field{"sample.bmp", 2, 6},
          Field{"sample.gif", 0, 6}, Field{"sample.tif", 0, 4}, Field{"sample.jpg", 0, 2},
          Field{"sample.jpg", 4, 6}}) {
        SCOPED_TRACE(std::string(field.file) + " bytes " + std::to_string(field.from));
        const std::string body = sample_image(field.file);
        EXPECT_EQ(flips_caught(body, field.from, field.to), (field.to - field.from) * 8);
    }
}

// Not an assertion about every flip (a structure check cannot see inside entropy-coded or LZW
// data): the share each format catches, printed for the record, with a floor about half the
// share measured when written, and well above what a check of the signature alone catches.
TEST(ImageDamage, MostFlipsAnywhereAreCaughtAndTheShareIsPrinted) {
    struct Floor {
        const char* file;
        double at_least;
    };
    for (const Floor& floor :
         {Floor{"sample.jpg", 0.03}, Floor{"sample.gif", 0.005}, Floor{"sample.webp", 0.03},
          Floor{"sample.bmp", 0.004}, Floor{"sample.tif", 0.007}, Floor{"sample.ico", 0.001},
          Floor{"sample.avif", 0.06}, Floor{"sample.heic", 0.04}, Floor{"sample.svg", 0.30}}) {
        const std::string body = sample_image(floor.file);
        const double share =
            static_cast<double>(flips_caught(body, 0, body.size())) / (8.0 * body.size());
        std::printf("[ flips    ] %-12s %5zu bytes: %5.1f%% of single-bit flips caught\n",
                    floor.file, body.size(), 100 * share);
        EXPECT_GE(share, floor.at_least) << floor.file;
    }
}

TEST(ImageDamage, AFlipInsideJpegEntropyDataIsNotSeenByAStructureCheck) {
    // Documented limit: a flip that makes no 0xFF stays inside the scan; only a decode sees it.
    const std::string jpeg = sample_image("sample.jpg");
    const std::size_t sos = jpeg.find("\xFF\xDA");
    ASSERT_NE(sos, std::string::npos);
    const std::size_t inside = sos + 20;
    ASSERT_LT(inside, jpeg.size() - 4);
    const std::string damaged = flipped(jpeg, inside, 0);
    ASSERT_NE(static_cast<unsigned char>(damaged[inside]), 0xFF);
    EXPECT_TRUE(check_image(damaged).ok());
}

TEST(ImageDamage, AnApngCountsTheFramesItsActlAnnounces) {
    const std::string png = sample_image("sample.png");
    const std::string actl = png_chunk("acTL", be32_bytes(4) + be32_bytes(0));
    const std::string apng = png.substr(0, 33) + actl + png.substr(33);
    const ImageCheck check = check_image(apng);
    EXPECT_TRUE(check.ok()) << check.message();
    EXPECT_EQ(check.facts.frames, 4U);
}

TEST(ImageDamage, APngWithoutIhdrFirstIsCorrupt) {
    const std::string png = sample_image("sample.png");
    const std::string text = png_chunk("tEXt", std::string("a\0b", 3));
    const ImageCheck check = check_image(png.substr(0, 8) + text + png.substr(8));
    EXPECT_EQ(check.message(), "corrupt image (PNG: first chunk is tEXt, not IHDR)");
}

TEST(ImageDamage, BytesAfterTheRiffSizeOfAWebpAreCorrupt) {
    const ImageCheck check = check_image(sample_image("sample.webp") + "trailer!");
    EXPECT_EQ(check.message(), "corrupt image (WEBP: 8 bytes after the RIFF size)");
}

TEST(ImageDamage, ACutAvifSaysWhichBoxIsCutShort) {
    const std::string avif = sample_image("sample.avif");
    const ImageCheck check = check_image(std::string_view(avif).substr(0, avif.size() - 1));
    EXPECT_EQ(check.message(), "truncated image (AVIF: box mdat is cut short)");
}

TEST(ImageDamage, SvgNeedsAWellFormedDocumentWithAnSvgRoot) {
    const ImageCheck html = check_image("<html><body>removed</body></html>");
    EXPECT_EQ(html.message(), "corrupt image (SVG: root element is html, not svg)");

    const ImageCheck mismatched = check_image("<svg><g></svg>");
    EXPECT_EQ(mismatched.verdict, ImageVerdict::corrupt);
    EXPECT_NE(mismatched.reason.find("mismatched tag"), std::string::npos) << mismatched.reason;

    const std::string svg = sample_image("sample.svg");
    const ImageCheck cut = check_image(std::string_view(svg).substr(0, svg.size() / 2));
    EXPECT_EQ(cut.verdict, ImageVerdict::truncated) << cut.message();
}

TEST(ImageDamage, AnSvgWithoutPixelSizesTakesItsViewBox) {
    const ImageCheck check =
        check_image(R"(<svg xmlns="http://www.w3.org/2000/svg" width="100%" )"
                    R"(viewBox="0 0 640 480"><rect width="1" height="1"/></svg>)");
    EXPECT_TRUE(check.ok()) << check.message();
    EXPECT_EQ(check.facts.width, 640U);
    EXPECT_EQ(check.facts.height, 480U);
}

TEST(ImageDamage, ABodyNoValidatorKnowsIsUnknownNotAccepted) {
    const ImageCheck check = check_image("just some text, not an image at all");
    EXPECT_EQ(check.verdict, ImageVerdict::unknown_format);
    EXPECT_FALSE(check.ok());
    EXPECT_EQ(check.message(), "not a known image format");
}

TEST(ImageDamage, DimensionsAreKnownAsSoonAsTheHeaderHasArrived) {
    const std::string png = sample_image("sample.png");
    StructureCheck check;
    check.feed(std::string_view(png).substr(0, 33)); // signature + IHDR
    EXPECT_EQ(check.facts().width, 37U);
    EXPECT_EQ(check.facts().height, 23U);
}

} // namespace
} // namespace imgfetch
