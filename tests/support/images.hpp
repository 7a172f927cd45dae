#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace imgfetch::test {

namespace fake_image_detail {

// `count` deterministic bytes that differ per `seed`, none of them 0xFF (so they can stand as a
// JPEG's entropy-coded data, where 0xFF would start a marker).
inline std::string noise(std::size_t seed, std::size_t count) {
    std::string bytes;
    bytes.reserve(count);
    std::size_t state = seed * 2654435761U + 1;
    for (std::size_t i = 0; i < count; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const auto byte = static_cast<unsigned char>(state >> 56);
        bytes.push_back(static_cast<char>(byte == 0xFF ? 0xFE : byte));
    }
    return bytes;
}

inline void append_be32(std::string& out, std::uint32_t value) {
    for (const unsigned shift : {24U, 16U, 8U, 0U}) {
        out.push_back(static_cast<char>((value >> shift) & 0xFFU));
    }
}

inline void append_png_chunk(std::string& png, const char* type, const std::string& data) {
    append_be32(png, static_cast<std::uint32_t>(data.size()));
    const std::string typed = std::string(type, 4) + data;
    png += typed;
    append_be32(png,
                static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(typed.data()),
                                                 static_cast<uInt>(typed.size()))));
}

// Width and height the fakes announce: small, and different per seed.
inline std::uint32_t fake_width(std::size_t seed) {
    return 32 + static_cast<std::uint32_t>(seed % 97);
}
inline std::uint32_t fake_height(std::size_t seed) {
    return 24 + static_cast<std::uint32_t>(seed % 89);
}

} // namespace fake_image_detail

// Bytes of overhead in fake_png() besides its `size`: below it, a fake cannot be a whole PNG.
inline constexpr std::size_t k_fake_png_min_size = 49;

// A structurally valid PNG of exactly 8 + `size` bytes that differs per `seed`: signature,
// IHDR (fake_image_detail::fake_width/height(seed), 8-bit RGB), one IDAT chunk of deterministic
// bytes (not a real deflate stream: imgfetch checks structure and CRCs, it never decodes), IEND,
// every CRC right. Passes --verify structure; enough for byte-for-byte comparisons. With `size`
// under k_fake_png_min_size: the signature and `size` bytes only (a truncated PNG).
inline std::string fake_png(std::size_t seed, std::size_t size = 2048) {
    using namespace fake_image_detail;
    std::string body("\x89PNG\r\n\x1a\n", 8);
    if (size < k_fake_png_min_size) {
        return body + noise(seed, size);
    }
    std::string ihdr;
    append_be32(ihdr, fake_width(seed));
    append_be32(ihdr, fake_height(seed));
    ihdr +=
        std::string("\x08\x02\x00\x00\x00", 5); // depth 8, RGB, deflate, no filter, no interlace
    append_png_chunk(body, "IHDR", ihdr);
    append_png_chunk(body, "IDAT", noise(seed, size - k_fake_png_min_size));
    append_png_chunk(body, "IEND", "");
    return body;
}

// Bytes of overhead in fake_jpeg() besides its `size`.
inline constexpr std::size_t k_fake_jpeg_min_size = 29;

// A structurally valid baseline JPEG of exactly 8 + `size` bytes that differs per `seed`: SOI,
// a SOF0 frame header (fake_width/height(seed), three components), an SOS header, `size` - 29
// bytes of entropy-coded noise without 0xFF, EOI. Passes --verify structure (no decode).
inline std::string fake_jpeg(std::size_t seed, std::size_t size = 2048) {
    using namespace fake_image_detail;
    const std::uint32_t width = fake_width(seed);
    const std::uint32_t height = fake_height(seed);
    std::string body("\xFF\xD8", 2);
    body += std::string("\xFF\xC0\x00\x11\x08", 5);
    for (const std::uint32_t value : {height, width}) {
        body.push_back(static_cast<char>(value >> 8U));
        body.push_back(static_cast<char>(value & 0xFFU));
    }
    body += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
    body += std::string("\xFF\xDA\x00\x0C\x03\x01\x00\x02\x11\x03\x11\x00\x3F\x00", 14);
    body += noise(seed, size < k_fake_jpeg_min_size ? 0 : size - k_fake_jpeg_min_size);
    body += std::string("\xFF\xD9", 2);
    return body;
}

} // namespace imgfetch::test
