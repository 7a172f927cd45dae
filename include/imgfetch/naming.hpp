#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace imgfetch {

inline constexpr std::size_t k_max_name_bytes = 200;

// Pure: decodes %XX escapes; malformed escapes are kept literally.
std::string percent_decode(std::string_view text);

// Pure: turns any byte string into a plain file name: no '/', '\\', NUL, control or
// Windows-reserved characters, not "." or "..", no leading dot, no trailing dot or space,
// at most k_max_name_bytes bytes keeping the extension. Empty input gives "index".
std::string sanitize_file_name(std::string_view name);

// The percent-decoded, sanitized last path segment of an http(s) URL (via libcurl's URL
// parser), "index" when the path ends in '/'. Never contains a path separator.
std::string name_from_url(std::string_view url);

// Pure: the file name a Content-Disposition header value carries (filename*=UTF-8''... is
// preferred over filename=, quoted or not), reduced to its base name and sanitized; nothing
// when the header has no usable file name.
std::optional<std::string> filename_from_content_disposition(std::string_view header);

// The lower-cased extension after the last dot ("" when none).
std::string extension_of(std::string_view name);

// True when the extension is one of the image extensions we recognise.
bool has_image_extension(std::string_view name);

// A name reserved for one URL: either complete, or a stem that will get an image extension
// from the response (".jpg", ".png", ...).
struct ReservedName {
    std::string name;
    bool needs_extension = false;
};

// Hands out unique names in list order: "photo.jpg", "photo-2.jpg", ... A stem reserved
// for a name without an image extension blocks every "stem.<ext>", so names stay unique
// once the extension is added. Not thread-safe: main thread only, which keeps names
// deterministic across runs.
class NameAllocator {
public:
    ReservedName reserve(std::string_view wanted);

private:
    bool is_free(const std::string& name, bool needs_extension) const;
    void take(const std::string& name, bool needs_extension);

    std::unordered_set<std::string> m_full_names;                   // names as they will be on disk
    std::unordered_map<std::string, std::size_t> m_full_name_stems; // stem -> count
    std::unordered_set<std::string> m_open_stems; // stems still waiting for an extension
    // wanted -> the suffix to try next. Names are only ever added, so a suffix found taken
    // stays taken; resuming here keeps a list of a million "index" names linear.
    std::unordered_map<std::string, std::size_t> m_next_suffix;
};

// A NameAllocator shared by the main thread (list names, in list order) and workers (names
// from Content-Disposition, at commit time). Thread-safe: one mutex guards the allocator.
class NameRegistry {
public:
    ReservedName reserve(std::string_view wanted) {
        std::lock_guard lock(m_mutex);
        return m_names.reserve(wanted);
    }

private:
    std::mutex m_mutex; // guards m_names
    NameAllocator m_names;
};

} // namespace imgfetch
