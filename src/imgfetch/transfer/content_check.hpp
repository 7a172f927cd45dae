#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// Bytes of a body's start that sniff_image_extension() needs to decide.
inline constexpr std::size_t k_sniff_bytes = 32;

// Pure: the image format recognised from a body's first bytes, as a file extension
// ("jpg", "png", "gif", "webp", "bmp", "tif", "ico", "avif", "heic", "jxl"), or nothing.
std::optional<std::string_view> sniff_image_extension(std::string_view head);

// Pure: "image/png; charset=x" -> "image/png" (lower-cased, trimmed); "" for none.
std::string media_type_of(std::string_view content_type);

// Pure: true for "image/<something>".
bool is_image_media_type(std::string_view media_type);

// Pure: the usual extension for an image media type ("image/jpeg" -> "jpg"), or nothing.
std::optional<std::string_view> extension_for_media_type(std::string_view media_type);

// Pure: true when a body starts (after an optional UTF-8 BOM and whitespace) with '<': an
// HTML error or login page, which servers often label with the image type of the URL.
bool looks_like_markup(std::string_view head);

} // namespace imgfetch
