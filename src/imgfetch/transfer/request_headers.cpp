#include "imgfetch/transfer/request_headers.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace imgfetch {

namespace {

bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool has_control_char(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\t') || byte == 0x7f;
    });
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

// A URL's scheme, lower-cased host and port (the default one when none is written).
struct Origin {
    std::string scheme;
    std::string host;
    std::string port;
};

struct CurlUrlFree {
    void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};

using UrlHandle = std::unique_ptr<CURLU, CurlUrlFree>;

// `url` in libcurl's parser; null when it rejects it.
UrlHandle parsed(std::string_view url) {
    UrlHandle handle(curl_url());
    if (handle &&
        curl_url_set(handle.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
        handle.reset();
    }
    return handle;
}

std::optional<std::string> url_part(CURLU* handle, CURLUPart part, unsigned flags) {
    char* raw = nullptr;
    if (curl_url_get(handle, part, &raw, flags) != CURLUE_OK || raw == nullptr) {
        return std::nullopt;
    }
    std::string text(raw);
    curl_free(raw);
    return text;
}

std::optional<Origin> origin_of(std::string_view url) {
    const UrlHandle handle = parsed(url);
    if (!handle) {
        return std::nullopt;
    }
    std::optional<std::string> scheme = url_part(handle.get(), CURLUPART_SCHEME, 0);
    std::optional<std::string> host = url_part(handle.get(), CURLUPART_HOST, 0);
    std::optional<std::string> port = url_part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (!scheme || !host || !port) {
        return std::nullopt;
    }
    std::transform(host->begin(), host->end(), host->begin(), ascii_lower);
    std::transform(scheme->begin(), scheme->end(), scheme->begin(), ascii_lower);
    return Origin{std::move(*scheme), std::move(*host), std::move(*port)};
}

// "scheme://host[:port]/" of `url`, the port only when it is not the scheme's default.
std::optional<std::string> origin_text(std::string_view url) {
    const UrlHandle handle = parsed(url);
    if (!handle) {
        return std::nullopt;
    }
    const std::optional<std::string> scheme = url_part(handle.get(), CURLUPART_SCHEME, 0);
    const std::optional<std::string> host = url_part(handle.get(), CURLUPART_HOST, 0);
    if (!scheme || !host) {
        return std::nullopt;
    }
    // Nothing when the URL writes no port, or the scheme's default one ("http://h:80/").
    const std::optional<std::string> port =
        url_part(handle.get(), CURLUPART_PORT, CURLU_NO_DEFAULT_PORT);
    std::string text = *scheme + "://" + *host;
    if (port) {
        text += ":" + *port;
    }
    return text + "/";
}

} // namespace

std::string_view header_name(std::string_view line) {
    const std::size_t colon = line.find(':');
    return colon == std::string_view::npos ? std::string_view() : line.substr(0, colon);
}

std::string header_line_problem(std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        return R"(not a header line ("Name: value" or "Name:"): no ':')";
    }
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) {
        return "a header line needs a name before its ':'";
    }
    if (!std::all_of(name.begin(), name.end(), is_token_char)) {
        return "header name '" + std::string(has_control_char(name) ? "?" : name) +
               "' has a character HTTP does not allow in a name";
    }
    if (has_control_char(line.substr(colon + 1))) {
        return "the value of header '" + std::string(name) +
               "' has a control character (a line break?)";
    }
    return {};
}

std::vector<std::string> user_header_lines(const std::vector<std::string>& option_headers,
                                           const std::vector<std::string>& task_headers) {
    std::vector<std::string> lines;
    lines.reserve(option_headers.size() + task_headers.size());
    for (const std::string& line : option_headers) {
        const bool replaced =
            std::any_of(task_headers.begin(), task_headers.end(), [&line](const std::string& own) {
                return same_name(header_name(own), header_name(line));
            });
        if (!replaced) {
            lines.push_back(line);
        }
    }
    lines.insert(lines.end(), task_headers.begin(), task_headers.end());
    return lines;
}

std::string referer_problem(std::string_view referer) {
    if (referer == "origin") {
        return {};
    }
    const bool controls = has_control_char(referer) || referer.find('\t') != std::string_view::npos;
    const std::optional<Origin> origin = controls ? std::nullopt : origin_of(referer);
    if (!origin || (origin->scheme != "http" && origin->scheme != "https")) {
        return "not an http or https URL, nor 'origin'";
    }
    return {};
}

std::optional<std::string> referer_for(const TransferOptions& settings, const Task& task) {
    const std::string& chosen = task.referer.empty() ? settings.referer : task.referer;
    if (chosen.empty()) {
        return std::nullopt;
    }
    if (chosen == "origin") {
        return origin_text(task.url);
    }
    return chosen;
}

bool is_listed_origin(std::string_view listed_url, std::string_view hop_url) {
    const std::optional<Origin> listed = origin_of(listed_url);
    const std::optional<Origin> hop = origin_of(hop_url);
    if (!listed || !hop || listed->host != hop->host) {
        return false;
    }
    if (listed->scheme == hop->scheme) {
        return listed->port == hop->port;
    }
    return listed->scheme == "http" && listed->port == "80" && hop->scheme == "https" &&
           hop->port == "443";
}

bool has_origin_bound_details(const TransferOptions& settings, const Task& task) {
    return !settings.headers.empty() || !task.headers.empty() || !settings.referer.empty() ||
           !task.referer.empty() || !settings.user.empty() || settings.netrc ||
           !settings.netrc_file.empty();
}

} // namespace imgfetch
