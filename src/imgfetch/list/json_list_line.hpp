#pragma once

#include <string_view>

#include "imgfetch/list/url_list.hpp"

namespace imgfetch {

// Pure: one line of a JSON Lines list (no line terminator). Blank when it holds only spaces or
// tabs; else it must be a JSON object with "url" (a string) and, optional, "name" (string),
// "referer" (string), "headers" (an object of strings) and "sha256" (64 hex digits); null is
// the same as absent, other keys are ignored. Anything else is a BadLine saying which key
// is wrong, or where the JSON breaks. Values that would end a request header early (CR, LF,
// NUL) make it bad too.
ParsedLine parse_json_list_line(std::string_view line);

} // namespace imgfetch
