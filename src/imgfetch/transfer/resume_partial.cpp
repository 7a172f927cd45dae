#include "imgfetch/transfer/resume_partial.hpp"

#include <curl/curl.h>

#include <charconv>

#include "imgfetch/files/temporary_name.hpp"
#include "imgfetch/list/task.hpp"
#include "imgfetch/transfer/response_facts.hpp"
#include "imgfetch/transfer/sha256_stream.hpp"

namespace imgfetch {

namespace {

constexpr std::size_t k_key_digits = 16;

// A strong entity tag: a quoted string with no "W/" in front.
bool is_strong_etag(std::string_view etag) {
    return etag.size() >= 2 && etag.front() == '"' && etag.back() == '"';
}

std::optional<std::uint64_t> decimal(std::string_view text) {
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [next, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || next != end) {
        return std::nullopt;
    }
    return value;
}

} // namespace

std::string resume_name_for(const Task& task) {
    Sha256Stream digest;
    const std::string& url = task.normalized_url.empty() ? task.url : task.normalized_url;
    digest.update(url.data(), url.size());
    return resume_temporary_name(digest.hex_digest().substr(0, k_key_digits));
}

std::optional<ResumePoint> resume_point_of(const AtomicFile& partial) {
    const std::uint64_t size = partial.size();
    if (size == 0) {
        return std::nullopt;
    }
    std::optional<std::string> validator = partial.extended_attribute(k_resume_attribute);
    // is_storable_etag(): bounded, visible ASCII and spaces only, so safe in a header line (for a
    // date too, as validator_headers() uses it).
    if (!validator || !is_storable_etag(*validator)) {
        return std::nullopt;
    }
    return ResumePoint{size, std::move(*validator)};
}

std::optional<std::string> if_range_validator(const ValidatorFields& fields) {
    if (!fields.content_encoding.empty()) {
        return std::nullopt;
    }
    if (!fields.etag.empty()) { // a client with an entity tag must not use a date
        return is_strong_etag(fields.etag) && is_storable_etag(fields.etag)
                   ? std::optional<std::string>(fields.etag)
                   : std::nullopt;
    }
    const bool strong_date =
        fields.modified_at && fields.date && *fields.date - *fields.modified_at >= 1;
    if (strong_date && is_storable_etag(fields.last_modified)) {
        return std::string(fields.last_modified);
    }
    return std::nullopt;
}

std::optional<std::string> if_range_validator(const ResponseFacts& response) {
    const std::string etag = response.etag();
    const std::string last_modified = response.last_modified_text();
    const std::string encoding = response.content_encoding();
    return if_range_validator(
        ValidatorFields{etag, last_modified, response.last_modified(), response.date(), encoding});
}

std::optional<ContentRange> content_range_of(std::string_view value) {
    constexpr std::string_view k_unit = "bytes ";
    if (value.size() < k_unit.size() ||
        curl_strnequal(value.data(), k_unit.data(), k_unit.size()) == 0) {
        return std::nullopt; // the unit is case-insensitive (RFC 9110 14.1)
    }
    value.remove_prefix(k_unit.size());
    const auto dash = value.find('-');
    const auto slash = value.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
        return std::nullopt;
    }
    const std::optional<std::uint64_t> first = decimal(value.substr(0, dash));
    const std::optional<std::uint64_t> last = decimal(value.substr(dash + 1, slash - dash - 1));
    const std::optional<std::uint64_t> complete = decimal(value.substr(slash + 1));
    if (!first || !last || !complete || *last < *first || *last >= *complete) {
        return std::nullopt;
    }
    return ContentRange{*first, *last, *complete};
}

void add_resume_headers(HeaderList& headers, const ResumePoint& point) {
    append_header(headers, ("Range: bytes=" + std::to_string(point.offset) + "-").c_str());
    append_header(headers, ("If-Range: " + point.validator).c_str());
}

} // namespace imgfetch
