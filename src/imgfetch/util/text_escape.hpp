#pragma once

#include <cstddef>
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

// Pure: escapes text for XML content and attribute values (& < > " '). The input must be valid
// UTF-8 without control characters: run it through printable() first, or use xml_text().
std::string xml_escape(std::string_view text);

// Pure: untrusted text (URLs, server errors) as XML text: control characters and invalid UTF-8
// become \xNN as in printable() (XML 1.0 allows neither), and text longer than `max_bytes` is
// cut on a character boundary and ends in "...".
std::string xml_text(std::string_view untrusted, std::size_t max_bytes);

} // namespace imgfetch
