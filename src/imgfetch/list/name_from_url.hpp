#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/list/url.hpp"

namespace imgfetch {

// The percent-decoded, sanitized last path segment of an http(s) URL (via libcurl's URL
// parser), "index" when the path ends in '/'. Never contains a path separator. Pure.
std::string name_from_url(std::string_view url);

// The same, from a path the URL was already parsed for (ParsedUrl::path): no second parse.
// Without one, a best effort reads the path out of `url` by hand.
std::string name_from_url(std::string_view url, const std::optional<std::string>& curl_path);

} // namespace imgfetch
