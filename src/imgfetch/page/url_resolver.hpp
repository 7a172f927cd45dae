#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// Resolves the URLs written in a page against its base URL with libcurl's URL API
// (curl_url()). One object per page; not shared between threads (each holds its own handles).
class UrlResolver {
public:
    // `base`: an absolute URL (the page's final URL). An unparsable base resolves nothing.
    explicit UrlResolver(std::string_view base);
    ~UrlResolver();
    UrlResolver(const UrlResolver&) = delete;
    UrlResolver& operator=(const UrlResolver&) = delete;

    // Makes `reference` (resolved against the current base) the base of later calls: a page's
    // first <base href>. An unresolvable one leaves the base as it was.
    void rebase(std::string_view reference);

    // The absolute http(s) URL `reference` names, without its fragment; nothing for an empty
    // reference, a data: URL, another scheme, or text that is no URL. Leading and trailing
    // whitespace is trimmed, tabs and newlines inside are dropped (as browsers do) and other
    // spaces and non-ASCII bytes are percent-encoded.
    std::optional<std::string> resolve(std::string_view reference) const;

    // Pure: the path of an absolute URL (without query or fragment), or "" when it has none.
    static std::string path_of(const std::string& absolute_url);

private:
    void* m_base = nullptr; // CURLU*; null when the base did not parse
};

} // namespace imgfetch
