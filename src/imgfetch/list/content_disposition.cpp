#include "imgfetch/list/content_disposition.hpp"

#include <algorithm>
#include <cctype>

#include "imgfetch/list/sanitize.hpp"

namespace imgfetch {

namespace {

// The value of one parameter (`key`, case-insensitive) of a header like
// `attachment; filename="a b.png"; filename*=UTF-8''a%20b.png`, unquoted.
std::optional<std::string> header_parameter(std::string_view header, std::string_view key) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        const std::size_t semicolon = header.find(';', pos);
        if (semicolon == std::string_view::npos) {
            return std::nullopt;
        }
        pos = semicolon + 1;
        while (pos < header.size() && (header[pos] == ' ' || header[pos] == '\t')) {
            ++pos;
        }
        const std::size_t equals = header.find('=', pos);
        if (equals == std::string_view::npos) {
            return std::nullopt;
        }
        std::string name(header.substr(pos, equals - pos));
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
            name.pop_back();
        }
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        std::size_t value_start = equals + 1;
        while (value_start < header.size() && header[value_start] == ' ') {
            ++value_start;
        }
        std::string value;
        std::size_t next = value_start;
        if (value_start < header.size() && header[value_start] == '"') {
            next = value_start + 1;
            while (next < header.size() && header[next] != '"') {
                if (header[next] == '\\' && next + 1 < header.size()) {
                    ++next;
                }
                value.push_back(header[next]);
                ++next;
            }
            ++next;
        } else {
            next = std::min(header.find(';', value_start), header.size());
            value = std::string(header.substr(value_start, next - value_start));
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t' ||
                                      value.back() == '\r' || value.back() == '\n')) {
                value.pop_back();
            }
        }
        if (name == key) {
            return value;
        }
        pos = next;
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> filename_from_content_disposition(std::string_view header) {
    std::optional<std::string> raw;
    if (auto extended = header_parameter(header, "filename*")) {
        // RFC 5987: charset'language'percent-encoded; only the value part matters for bytes.
        const std::size_t first = extended->find('\'');
        const std::size_t second =
            first == std::string::npos ? std::string::npos : extended->find('\'', first + 1);
        if (second != std::string::npos && second + 1 < extended->size()) {
            raw = percent_decode(std::string_view(*extended).substr(second + 1));
        }
    }
    if (!raw) {
        raw = header_parameter(header, "filename");
    }
    if (!raw) {
        return std::nullopt;
    }
    // A base name only: whatever path the server put in front is dropped.
    const std::size_t slash = raw->find_last_of("/\\");
    const std::string base = slash == std::string::npos ? *raw : raw->substr(slash + 1);
    if (base.find_first_not_of(" .") == std::string::npos) {
        return std::nullopt;
    }
    return sanitize_file_name(base);
}

} // namespace imgfetch
