#include "imgfetch/list/name_from_url.hpp"

#include "imgfetch/list/sanitize.hpp"

namespace imgfetch {

namespace {

// A best effort for what libcurl will not parse: drop the scheme and authority, then the
// fragment and the query.
std::string_view manual_path_of(std::string_view url) {
    url = url.substr(0, url.find('#'));
    url = url.substr(0, url.find('?'));
    if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
        url.remove_prefix(scheme_end + 3);
        const auto path_start = url.find('/');
        return path_start == std::string_view::npos ? std::string_view{} : url.substr(path_start);
    }
    return url;
}

} // namespace

std::string name_from_url(std::string_view url) {
    const std::optional<ParsedUrl> parsed = parse_url(url);
    return name_from_url(url, parsed ? parsed->path : std::nullopt);
}

std::string name_from_url(std::string_view url, const std::optional<std::string>& curl_path) {
    const std::string_view path = curl_path ? std::string_view(*curl_path) : manual_path_of(url);
    const auto slash = path.rfind('/');
    const std::string_view segment =
        slash == std::string_view::npos ? path : path.substr(slash + 1);
    return sanitize_file_name(percent_decode(segment));
}

} // namespace imgfetch
