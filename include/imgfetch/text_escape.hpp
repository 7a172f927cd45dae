#pragma once

#include <string>
#include <string_view>

namespace imgfetch {

// Pure: makes untrusted bytes (URLs, server text) safe for a terminal or log: valid UTF-8
// passes through, control characters (C0, DEL, C1) and invalid UTF-8 bytes become \xNN,
// and a backslash becomes "\\".
std::string printable(std::string_view text);

} // namespace imgfetch
