#include "imgfetch/page/url_resolver.hpp"

#include <curl/curl.h>

#include <string_view>

namespace imgfetch {

namespace {

CURLU* as_handle(void* handle) {
    return static_cast<CURLU*>(handle);
}

// The reference as it is written in a URL: trimmed, tabs and newlines dropped, spaces, control
// and non-ASCII bytes percent-encoded.
std::string cleaned(std::string_view reference) {
    const auto is_space = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    };
    while (!reference.empty() && is_space(reference.front())) {
        reference.remove_prefix(1);
    }
    while (!reference.empty() && is_space(reference.back())) {
        reference.remove_suffix(1);
    }
    static constexpr std::string_view k_hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(reference.size());
    for (const char c : reference) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        if (byte <= 0x20 || byte >= 0x7f) {
            out += '%';
            out += k_hex[byte >> 4];
            out += k_hex[byte & 0x0f];
        } else {
            out += c;
        }
    }
    return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char c = text[i];
        if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != prefix[i]) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> get_part(CURLU* handle, CURLUPart part) {
    char* text = nullptr;
    if (curl_url_get(handle, part, &text, 0) != CURLUE_OK || text == nullptr) {
        return std::nullopt;
    }
    std::string copy(text);
    curl_free(text);
    return copy;
}

// `reference` resolved against `base` in a new handle (the caller frees it), or null.
CURLU* resolved_handle(CURLU* base, std::string_view reference) {
    const std::string text = cleaned(reference);
    if (base == nullptr || text.empty() || starts_with_ignoring_case(text, "data:")) {
        return nullptr;
    }
    CURLU* handle = curl_url_dup(base);
    if (handle == nullptr) {
        return nullptr;
    }
    if (curl_url_set(handle, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
        curl_url_cleanup(handle);
        return nullptr;
    }
    const std::optional<std::string> scheme = get_part(handle, CURLUPART_SCHEME);
    if (!scheme || (*scheme != "http" && *scheme != "https")) {
        curl_url_cleanup(handle);
        return nullptr;
    }
    curl_url_set(handle, CURLUPART_FRAGMENT, nullptr, 0);
    return handle;
}

} // namespace

UrlResolver::UrlResolver(std::string_view base) {
    CURLU* handle = curl_url();
    const std::string text(base);
    if (handle != nullptr && curl_url_set(handle, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
        curl_url_cleanup(handle);
        handle = nullptr;
    }
    m_base = handle;
}

UrlResolver::~UrlResolver() {
    curl_url_cleanup(as_handle(m_base));
}

void UrlResolver::rebase(std::string_view reference) {
    if (CURLU* handle = resolved_handle(as_handle(m_base), reference)) {
        curl_url_cleanup(as_handle(m_base));
        m_base = handle;
    }
}

std::optional<std::string> UrlResolver::resolve(std::string_view reference) const {
    CURLU* handle = resolved_handle(as_handle(m_base), reference);
    if (handle == nullptr) {
        return std::nullopt;
    }
    std::optional<std::string> url = get_part(handle, CURLUPART_URL);
    curl_url_cleanup(handle);
    return url;
}

std::string UrlResolver::path_of(const std::string& absolute_url) {
    CURLU* handle = curl_url();
    if (handle == nullptr) {
        return {};
    }
    std::string path;
    if (curl_url_set(handle, CURLUPART_URL, absolute_url.c_str(), 0) == CURLUE_OK) {
        path = get_part(handle, CURLUPART_PATH).value_or("");
    }
    curl_url_cleanup(handle);
    return path;
}

} // namespace imgfetch
