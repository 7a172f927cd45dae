#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// Pure: the URL of a srcset attribute's largest image candidate, or nothing when the attribute
// has no candidate. Candidates are split as the HTML standard's srcset parser does: a URL runs to
// the next whitespace (so commas inside it stay, and trailing commas end it), descriptors run to a
// comma outside parentheses. "Largest": the greatest width ("640w") when any candidate has one,
// else the greatest density ("2x"; none written counts as 1x). A tie keeps the first candidate.
// Candidates with an invalid descriptor are skipped, as the standard says.
std::optional<std::string> largest_srcset_candidate(std::string_view srcset);

} // namespace imgfetch
