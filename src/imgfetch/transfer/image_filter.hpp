#pragma once

// The image filters' decisions (--min-width ... --reject-types, issue 14 part 3), as pure
// functions of what is known about a body so far. The body sink asks each one as soon as the
// bytes allow: the types when the format is detected, the dimensions when the header shows
// them, --min-size from an announced length or at the end.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/image/image_check.hpp"

namespace imgfetch {

// Pure: does any filter need the body's header facts (format or dimensions)?
bool filters_need_facts(const ImageFilters& filters);

// Pure: why a body of `format` (nothing: not a format imgfetch checks) fails --types or
// --reject-types ("type gif rejected by --reject-types", "type gif not in --types"), or
// nothing. A body of no checked format fails --types (it is none of them), never
// --reject-types.
std::optional<std::string> type_filter_reason(const ImageFilters& filters,
                                              std::optional<ImageFormat> format);

// Pure: why an image of width x height fails --min-width, --min-height, --min-pixels or
// --max-pixels ("width 120 < --min-width 200"), or nothing. Call only once both are known
// (non-zero): an image whose dimensions never become known passes these filters.
std::optional<std::string> dimension_filter_reason(const ImageFilters& filters, std::uint32_t width,
                                                   std::uint32_t height);

// Pure: why a body of `size` bytes fails --min-size ("size 900 bytes < --min-size 1024
// bytes"), or nothing.
std::optional<std::string> size_filter_reason(const ImageFilters& filters, std::uint64_t size);

// Pure: `name` when it is not a format_name() ("jxl"), or nothing: for the command line's
// check of --types and --reject-types.
std::optional<std::string> unknown_type_name(std::string_view name);

} // namespace imgfetch
