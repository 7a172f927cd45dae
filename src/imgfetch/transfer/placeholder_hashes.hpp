#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

namespace imgfetch {

// --reject-hash FILE: the SHA-256 digests of known placeholder bodies ("image removed" images),
// one per line as 64 hex digits in either case; blank lines and lines starting with '#' (after
// leading blanks) are ignored, as is text after the digest that starts with a blank (so
// `sha256sum` output works as it is).
// Loaded once at startup, before any worker starts, and immutable afterwards: shared read-only
// by every worker (DownloadContext::placeholders) without a lock.
class PlaceholderHashes {
public:
    PlaceholderHashes() = default; // the empty set: --reject-hash not given

    // Reads `path`. Throws SetupError (exit 2) for a file that cannot be read ("--reject-hash
    // FILE: No such file or directory") or a line that is not a digest ("--reject-hash FILE:
    // line 3: not a sha256 (64 hex digits)").
    static PlaceholderHashes load(const std::string& path);

    // Parses the file's text; `path` only names it in the error. Throws SetupError as load().
    static PlaceholderHashes parse(std::string_view text, const std::string& path);

    // `hex_digest` is lower case (sha256_stream's form).
    bool contains(const std::string& hex_digest) const { return m_digests.count(hex_digest) > 0; }
    std::size_t size() const { return m_digests.size(); }
    bool empty() const { return m_digests.empty(); }

private:
    std::unordered_set<std::string> m_digests; // lower-case hex
};

} // namespace imgfetch
