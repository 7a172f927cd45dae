#include "imgfetch/list/url.hpp"

#include <curl/curl.h>

#include <memory>

namespace imgfetch {

namespace {

struct CurlUrlDeleter {
    void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};

struct CurlStringDeleter {
    void operator()(char* text) const { curl_free(text); }
};

// One part of the URL in `handle` (flags: CURLU_*); nothing when libcurl has none.
std::optional<std::string> part_of(CURLU* handle, CURLUPart part, unsigned int flags) {
    char* raw = nullptr;
    if (curl_url_get(handle, part, &raw, flags) != CURLUE_OK) {
        return std::nullopt;
    }
    const std::unique_ptr<char, CurlStringDeleter> owned(raw);
    return raw == nullptr ? std::string() : std::string(raw);
}

std::string ascii_lower(std::string text) {
    for (char& c : text) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return text;
}

} // namespace

std::optional<ParsedUrl> parse_url(std::string_view url) {
    const std::unique_ptr<CURLU, CurlUrlDeleter> handle(curl_url());
    const std::string terminated(url); // curl_url_set() wants a C string
    if (!handle || curl_url_set(handle.get(), CURLUPART_URL, terminated.c_str(), 0) != CURLUE_OK) {
        return std::nullopt;
    }
    ParsedUrl parsed;
    parsed.path = part_of(handle.get(), CURLUPART_PATH, 0);
    const std::optional<std::string> host = part_of(handle.get(), CURLUPART_HOST, 0);
    // The normalized form is printed from the same handle: read the parts above first.
    curl_url_set(handle.get(), CURLUPART_FRAGMENT, nullptr, 0);
    if (host) {
        parsed.host = ascii_lower(*host);
        curl_url_set(handle.get(), CURLUPART_HOST, parsed.host.c_str(), 0);
    }
    parsed.normalized =
        part_of(handle.get(), CURLUPART_URL, CURLU_NO_DEFAULT_PORT).value_or(terminated);
    return parsed;
}

std::string host_key(std::string_view url) {
    std::optional<ParsedUrl> parsed = parse_url(url);
    return parsed ? std::move(parsed->host) : std::string();
}

std::string normalized_url(std::string_view url) {
    std::optional<ParsedUrl> parsed = parse_url(url);
    return parsed ? std::move(parsed->normalized) : std::string(url);
}

} // namespace imgfetch
