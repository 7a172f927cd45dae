#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace imgfetch {

// The text rules of a file name: what bytes it may hold, how long it may be, its extension.
// Pure functions.

inline constexpr std::size_t k_max_name_bytes = 200;

// Pure: decodes %XX escapes; malformed escapes are kept literally.
std::string percent_decode(std::string_view text);

// Pure: turns any byte string into a plain file name: no '/', '\\', NUL, control or
// Windows-reserved characters, not "." or "..", no leading dot, no trailing dot or space,
// at most k_max_name_bytes bytes keeping the extension. Empty input gives "index".
std::string sanitize_file_name(std::string_view name);

// The lower-cased extension after the last dot ("" when none).
std::string extension_of(std::string_view name);

// True when the extension is one of the image extensions we recognise.
bool has_image_extension(std::string_view name);

// The longest prefix of `text` of at most `limit` bytes that does not end inside a UTF-8
// character. At most three bytes are given back: a longer run is not UTF-8 to protect.
std::string_view utf8_prefix(std::string_view text, std::size_t limit);

} // namespace imgfetch
