#include "imgfetch/list/name_template.hpp"

#include <array>
#include <stdexcept>

#include "imgfetch/list/sanitize.hpp"

namespace imgfetch {

namespace {

constexpr std::array<std::string_view, 8> k_fields = {"host", "path", "dir",  "name",
                                                      "stem", "ext",  "line", "sha256"};

bool is_known_field(std::string_view name) {
    for (const std::string_view known : k_fields) {
        if (name == known) {
            return true;
        }
    }
    return false;
}

bool only_dots_and_spaces(std::string_view segment) {
    return segment.find_first_not_of(". ") == std::string_view::npos;
}

// "photo.jpg" -> {"photo", "jpg"}; a leading dot does not start an extension.
std::pair<std::string, std::string> stem_and_ext(const std::string& name) {
    const auto dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0) {
        return {name, ""};
    }
    return {name.substr(0, dot), name.substr(dot + 1)};
}

// A value must not make the {sha256} marker: braces in field values become '_'.
std::string without_braces(std::string value) {
    for (char& c : value) {
        if (c == '{' || c == '}') {
            c = '_';
        }
    }
    return value;
}

std::string field_value(std::string_view field, const NameFields& f) {
    const auto [stem, ext] = stem_and_ext(f.name);
    if (field == "host") {
        return f.host;
    }
    if (field == "dir") {
        return f.dir;
    }
    if (field == "path") {
        return f.dir.empty() ? f.name : f.dir + "/" + f.name;
    }
    if (field == "name") {
        return f.name;
    }
    if (field == "stem") {
        return stem;
    }
    if (field == "ext") {
        return ext;
    }
    return std::to_string(f.line);
}

} // namespace

NameTemplate::NameTemplate(std::string_view text) {
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal += c; // "{{" and "}}" are literal braces
            ++i;
        } else if (c == '}') {
            throw std::invalid_argument("unbalanced '}' at offset " + std::to_string(i));
        } else if (c == '{') {
            const auto close = text.find('}', i);
            if (close == std::string_view::npos) {
                throw std::invalid_argument("unbalanced '{' at offset " + std::to_string(i));
            }
            const std::string name(text.substr(i + 1, close - i - 1));
            if (!is_known_field(name)) {
                throw std::invalid_argument("unknown field {" + name + "}");
            }
            m_pieces.push_back(Piece{false, std::move(literal)});
            literal.clear();
            m_pieces.push_back(Piece{true, name});
            m_uses_sha256 = m_uses_sha256 || name == "sha256";
            i = close;
        } else {
            literal += c;
        }
    }
    m_pieces.push_back(Piece{false, std::move(literal)});
}

std::string NameTemplate::expand(const NameFields& fields) const {
    std::string path;
    for (const Piece& piece : m_pieces) {
        if (!piece.field) {
            path += m_uses_sha256 ? without_braces(piece.text) : piece.text;
        } else if (piece.text == "sha256") {
            path += k_sha256_field;
        } else {
            const std::string value = field_value(piece.text, fields);
            path += m_uses_sha256 ? without_braces(value) : value;
        }
    }
    return sanitize_relative_path(path);
}

std::string sanitize_relative_path(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view segment = path.substr(start, end - start);
        if (!only_dots_and_spaces(segment)) {
            segments.push_back(sanitize_file_name(segment));
        }
        start = end + 1;
    }
    if (segments.empty()) {
        return "index";
    }
    // Too long in all: the deepest folders go first, the file's own name stays.
    std::size_t total = 0;
    for (const std::string& s : segments) {
        total += s.size() + 1;
    }
    while (total > k_max_path_bytes && segments.size() > 1) {
        total -= segments[segments.size() - 2].size() + 1;
        segments.erase(segments.end() - 2);
    }
    std::string joined;
    for (const std::string& s : segments) {
        joined += joined.empty() ? "" : "/";
        joined += s;
    }
    return joined;
}

std::string host_segment(std::string_view host, std::string_view normalized_url) {
    std::string segment(host.empty() ? "nohost" : host);
    const auto scheme_end = normalized_url.find("://");
    if (scheme_end != std::string_view::npos) {
        std::string_view authority = normalized_url.substr(scheme_end + 3);
        authority = authority.substr(0, authority.find_first_of("/?#"));
        authority = authority.substr(
            authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1);
        const auto colon = authority.rfind(':');
        // "[::1]:8080": the port's colon comes after the bracket.
        if (colon != std::string_view::npos &&
            authority.find(']', colon) == std::string_view::npos && colon + 1 < authority.size()) {
            segment += "_";
            segment += authority.substr(colon + 1);
        }
    }
    return sanitize_file_name(segment);
}

std::string url_directories(const std::optional<std::string>& raw_path) {
    if (!raw_path) {
        return {};
    }
    const std::string_view path = *raw_path;
    const auto last = path.rfind('/');
    if (last == std::string_view::npos) {
        return {};
    }
    std::string dirs;
    std::size_t start = 0;
    while (start < last) {
        const std::size_t end = std::min(path.find('/', start), last);
        const std::string decoded = percent_decode(path.substr(start, end - start));
        if (!only_dots_and_spaces(decoded)) {
            dirs += dirs.empty() ? "" : "/";
            dirs += sanitize_file_name(decoded);
        }
        start = end + 1;
    }
    return dirs;
}

std::string with_digest(std::string_view pattern, std::string_view digest) {
    std::string path;
    std::size_t start = 0;
    for (auto at = pattern.find(k_sha256_field); at != std::string_view::npos;
         at = pattern.find(k_sha256_field, start)) {
        path += pattern.substr(start, at - start);
        path += digest;
        start = at + k_sha256_field.size();
    }
    path += pattern.substr(start);
    std::string sanitized = sanitize_relative_path(path);
    if (sanitized.find(digest) == std::string::npos) {
        // The template's other text was too long for the digest to survive the length limits
        // (or cut its marker): the name must still be the content's, unique, so the digest
        // alone names the file.
        return sanitize_relative_path(digest);
    }
    return sanitized;
}

} // namespace imgfetch
