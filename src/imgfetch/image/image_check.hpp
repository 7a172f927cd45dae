#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// The image formats whose structure imgfetch checks (--verify structure).
enum class ImageFormat { jpeg, png, gif, webp, avif, heic, bmp, tiff, ico, svg };

// Pure: the report's name of a format: "jpeg", "png", "gif", "webp", "avif", "heic", "bmp",
// "tiff", "ico", "svg".
std::string_view format_name(ImageFormat format);

// What a body's headers say about the picture, read without decoding it. width/height are 0
// until the header that holds them has been seen (and stay 0 for an SVG without a usable size);
// frames counts a GIF's images, an animated WebP's ANMF chunks and an APNG's acTL num_frames,
// and is 1 for every still image.
struct ImageFacts {
    std::optional<ImageFormat> format;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::uint32_t frames = 1;
};

// The answer of a structure check. `unknown_format` means no validator knows the body's first
// bytes (not an image format in ImageFormat): nothing was checked.
enum class ImageVerdict { ok, truncated, corrupt, unknown_format };

struct ImageCheck {
    ImageVerdict verdict = ImageVerdict::ok;
    // For truncated/corrupt: what is missing or wrong, e.g. "no IEND chunk"; empty when ok.
    std::string reason;
    ImageFacts facts;

    bool ok() const { return verdict == ImageVerdict::ok; }
    // The user's message: "truncated image (PNG: no IEND chunk)", "corrupt image (PNG: CRC
    // mismatch in IDAT)", "not a known image format", or "" when ok.
    std::string message() const;
};

} // namespace imgfetch
