#include "imgfetch/transfer/placeholder_hashes.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/error_text.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

constexpr std::size_t k_sha256_hex_digits = 64;

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

// The digest of one line in lower case, "" for a line to skip; throws for a bad line.
std::string digest_of_line(std::string_view line, std::size_t number, const std::string& path) {
    std::size_t start = 0;
    while (start < line.size() && is_blank(line[start])) {
        ++start;
    }
    line.remove_prefix(start);
    if (line.empty() || line.front() == '#') {
        return {};
    }
    std::size_t end = 0;
    while (end < line.size() && !is_blank(line[end])) {
        ++end;
    }
    std::string digest(line.substr(0, end));
    bool hex = digest.size() == k_sha256_hex_digits;
    for (char& c : digest) {
        c = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
        hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    if (!hex) {
        throw SetupError("--reject-hash " + printable(path) + ": line " + std::to_string(number) +
                         ": not a sha256 (64 hex digits)");
    }
    return digest;
}

} // namespace

PlaceholderHashes PlaceholderHashes::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw SetupError("--reject-hash " + printable(path) + ": " + error_text(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw SetupError("--reject-hash " + printable(path) + ": read error");
    }
    return parse(text.str(), path);
}

PlaceholderHashes PlaceholderHashes::parse(std::string_view text, const std::string& path) {
    PlaceholderHashes hashes;
    std::size_t number = 0;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (std::string digest = digest_of_line(line, ++number, path); !digest.empty()) {
            hashes.m_digests.insert(std::move(digest));
        }
    }
    return hashes;
}

} // namespace imgfetch
