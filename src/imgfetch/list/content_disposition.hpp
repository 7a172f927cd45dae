#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// Pure: the file name a Content-Disposition header value carries (filename*=UTF-8''... is
// preferred over filename=, quoted or not), reduced to its base name and sanitized; nothing
// when the header has no usable file name.
std::optional<std::string> filename_from_content_disposition(std::string_view header);

} // namespace imgfetch
