#include "imgfetch/transfer/response_facts.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "imgfetch/transfer/content_check.hpp"
#include "imgfetch/util/http_date.hpp"

namespace imgfetch {

namespace {

// The response's own fields: not a 1xx's, nor a proxy's CONNECT reply's; trailers count like
// headers (the header callback saw both, and the last instance wins).
constexpr unsigned k_origins = CURLH_HEADER | CURLH_TRAILER;
constexpr int k_last_request = -1; // the latest request of the transfer (after redirects)

// "identity" in any case: no encoding at all.
bool is_identity(std::string_view value) {
    constexpr std::string_view k_identity = "identity";
    return value.size() == k_identity.size() &&
           std::equal(value.begin(), value.end(), k_identity.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           });
}

std::string_view value_of(const curl_header& header) {
    return header.value != nullptr ? header.value : "";
}

} // namespace

long ResponseFacts::status() const {
    long code = 0;
    curl_easy_getinfo(m_easy, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

std::string ResponseFacts::http_version() const {
    long version = 0;
    curl_easy_getinfo(m_easy, CURLINFO_HTTP_VERSION, &version);
    switch (version) {
    case CURL_HTTP_VERSION_1_0:
        return "1.0";
    case CURL_HTTP_VERSION_1_1:
        return "1.1";
    case CURL_HTTP_VERSION_2_0:
        return "2";
    case CURL_HTTP_VERSION_3:
        return "3";
    default:
        return "";
    }
}

std::string ResponseFacts::media_type() const {
    char* content_type = nullptr;
    curl_easy_getinfo(m_easy, CURLINFO_CONTENT_TYPE, &content_type);
    return media_type_of(content_type == nullptr ? "" : content_type);
}

std::optional<std::uint64_t> ResponseFacts::content_length() const {
    curl_off_t announced = -1;
    if (curl_easy_getinfo(m_easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced) != CURLE_OK ||
        announced < 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(announced);
}

std::string ResponseFacts::content_encoding() const {
    constexpr const char* k_name = "Content-Encoding";
    std::string encoding;
    const curl_header* header = lookup(k_name, 0);
    const std::size_t instances = header == nullptr ? 0 : header->amount;
    for (std::size_t i = 0; i < instances; ++i) {
        if (i > 0) {
            header = lookup(k_name, i);
        }
        if (header != nullptr && !is_identity(value_of(*header))) {
            encoding = value_of(*header);
        }
    }
    return encoding;
}

std::string ResponseFacts::last_modified_text() const {
    return last_field("Last-Modified");
}

std::string ResponseFacts::content_range() const {
    return last_field("Content-Range");
}

std::string ResponseFacts::etag() const {
    return last_field("ETag");
}

std::string ResponseFacts::content_disposition() const {
    return last_field("Content-Disposition");
}

std::optional<double> ResponseFacts::retry_after_s() const {
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(m_easy, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK ||
        retry_after <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(retry_after);
}

// Read from the field rather than through CURLOPT_FILETIME: libcurl's general date parser
// costs about 11,000 instructions a response (eight sscanf calls), 5% of a small file's CPU;
// the IMF-fixdate every current server sends is read here in a few hundred, and only the
// obsolete forms go to libcurl's parser.
std::optional<std::int64_t> ResponseFacts::last_modified() const {
    return date_field("Last-Modified");
}

std::optional<std::int64_t> ResponseFacts::date() const {
    return date_field("Date");
}

std::optional<std::int64_t> ResponseFacts::date_field(const char* name) const {
    const std::string value = last_field(name);
    if (value.empty()) {
        return std::nullopt;
    }
    if (const std::optional<std::int64_t> seconds = parse_imf_fixdate(value)) {
        return seconds;
    }
    const time_t seconds = curl_getdate(value.c_str(), nullptr);
    if (seconds == -1) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(seconds);
}

const curl_header* ResponseFacts::lookup(const char* name, std::size_t index) const {
    curl_header* header = nullptr;
    if (curl_easy_header(m_easy, name, index, k_origins, k_last_request, &header) != CURLHE_OK) {
        return nullptr;
    }
    return header;
}

// One lookup for the usual single instance (each costs a walk over every header received).
std::string ResponseFacts::last_field(const char* name) const {
    const curl_header* header = lookup(name, 0);
    if (header != nullptr && header->amount > 1) {
        header = lookup(name, header->amount - 1);
    }
    return header == nullptr ? "" : std::string(value_of(*header));
}

} // namespace imgfetch
