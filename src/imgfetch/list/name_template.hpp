#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgfetch {

// --layout url and --name-template: a file's path under DIR, built from its URL. Pure;
// a NameTemplate is immutable after construction (thread-safe to share).

// What one URL offers a template. Every value is already one sanitized segment, except
// `dir`, which is sanitized segments joined by '/' ("" when the URL path has no folders).
struct NameFields {
    std::string host; // "example.com", "127.0.0.1_8080" with a port
    std::string dir;  // the URL path's folders, percent-decoded and sanitized
    std::string name; // the name imgfetch gives without a template (the list's NAME if given)
    std::size_t line = 0;
};

// Stands for {sha256} in a name chosen before the body's digest is known; replaced at commit.
inline constexpr std::string_view k_sha256_field = "{sha256}";

class NameTemplate {
public:
    // Throws std::invalid_argument naming an unknown field ("{foo}") or an unbalanced brace.
    explicit NameTemplate(std::string_view text);

    // The sanitized path relative to DIR. With {sha256} in the template, the result keeps
    // k_sha256_field where the digest goes (field values cannot produce it).
    std::string expand(const NameFields& fields) const;
    bool uses_sha256() const { return m_uses_sha256; }

private:
    struct Piece {
        bool field = false;
        std::string text; // literal text, or the field's name
    };
    std::vector<Piece> m_pieces;
    bool m_uses_sha256 = false;
};

// The template --layout url stands for.
inline constexpr std::string_view k_url_layout_template = "{host}/{path}";

// Each '/'-separated segment sanitized like a file name (sanitize_file_name); empty, "." and
// ".." segments (and segments of dots only) dropped; at most k_max_path_bytes in all (deepest
// folders dropped first). Never starts with '/', never empty ("index").
inline constexpr std::size_t k_max_path_bytes = 3072;
std::string sanitize_relative_path(std::string_view path);

// The {host} segment: `host` with "_PORT" when `normalized_url` names a port.
std::string host_segment(std::string_view host, std::string_view normalized_url);

// The {dir} value of a raw URL path (ParsedUrl::path): its folders, each percent-decoded
// (so "%2f" stays inside its segment) and sanitized.
std::string url_directories(const std::optional<std::string>& raw_path);

// Replaces every k_sha256_field in `pattern` by `digest` and sanitizes the result again. The
// result always holds `digest` whole: when the length limits would cut it, it is `digest` alone.
std::string with_digest(std::string_view pattern, std::string_view digest);

} // namespace imgfetch
