#pragma once

// Private to the transfer layer (it names libcurl's CURL).

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>

namespace imgfetch {

// What the latest response of a transfer on `easy` said, read from libcurl when asked: its
// header fields through curl_easy_header() (the last request of the transfer, after any
// redirect; the headers and trailers of that response, not those of a 1xx or a proxy's
// CONNECT reply), the rest through curl_easy_getinfo(). Values come trimmed of surrounding
// white space, as libcurl stores them; a header that is absent reads as "".
// Usable from libcurl's callbacks during the transfer (the headers received so far) and after
// it. A view: it owns nothing and must not outlive `easy`; not thread-safe (the handle's
// thread only).
class ResponseFacts {
public:
    explicit ResponseFacts(CURL* easy) : m_easy(easy) {}

    // The HTTP status; 0 before any response.
    long status() const;
    // "1.0", "1.1", "2", "3"; "" before any response.
    std::string http_version() const;
    // The lower-cased media type of Content-Type ("image/png"); "" for none.
    std::string media_type() const;
    // Content-Length, when the response announced one.
    std::optional<std::uint64_t> content_length() const;
    // The body's encoding: several Content-Encoding fields add up, case-insensitively; the
    // last one other than "identity" is returned ("" = not encoded). A later "identity" does
    // not undo an earlier encoding: libcurl decodes them all.
    std::string content_encoding() const;
    // The last ETag field, as sent ("" for none).
    std::string etag() const;
    // The last Date field as seconds since the epoch, when present and a date.
    std::optional<std::int64_t> date() const;
    // The last Last-Modified field, as sent ("" for none): what If-Range sends back.
    std::string last_modified_text() const;
    // The last Content-Range field ("bytes 100-199/200"; "" for none).
    std::string content_range() const;
    // The last Content-Disposition field ("" for none).
    std::string content_disposition() const;
    // Retry-After in seconds (libcurl parses both forms), when positive.
    std::optional<double> retry_after_s() const;
    // The last Last-Modified field as seconds since the epoch, when present and a date (any
    // form HTTP has used; needs no CURLOPT_FILETIME).
    std::optional<std::int64_t> last_modified() const;

private:
    // The last field `name` as seconds since the epoch, when present and a date.
    std::optional<std::int64_t> date_field(const char* name) const;
    // The value of the last instance of `name` in the last response ("" for none).
    std::string last_field(const char* name) const;
    // Instance `index` of the field `name` in the last response, or null. libcurl reuses the
    // struct: it is valid until the next lookup on the handle.
    const curl_header* lookup(const char* name, std::size_t index) const;

    CURL* m_easy;
};

} // namespace imgfetch
