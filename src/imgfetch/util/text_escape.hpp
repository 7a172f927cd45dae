#pragma once

#include <string>
#include <string_view>

namespace imgfetch {

// Pure: makes untrusted bytes (URLs, server text) safe for a terminal or log: valid UTF-8
// passes through, control characters (C0, DEL, C1) and invalid UTF-8 bytes become \xNN,
// and a backslash becomes "\\".
std::string printable(std::string_view text);

// Pure: the URL with any "user:password@" userinfo replaced by "***@", so credentials never
// reach a terminal, log or report. Text without "scheme://" is returned unchanged.
std::string redact_credentials(std::string_view url);

} // namespace imgfetch
