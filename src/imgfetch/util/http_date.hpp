#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace imgfetch {

// Pure: the seconds since the epoch of an HTTP date in RFC 9110's preferred form, IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT": 29 characters, English names, GMT); nullopt for any other
// text, including the obsolete RFC 850 and asctime forms (callers that must accept those fall
// back to a general date parser). The weekday must be one of the seven names but is not
// checked against the date; the day may run past its month's end (31 Feb is 3 Mar), as
// libcurl's own date parser allows; years before 1583 are refused. Thread-safe; no locale,
// no allocation.
std::optional<std::int64_t> parse_imf_fixdate(std::string_view text);

} // namespace imgfetch
