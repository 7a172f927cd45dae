#include "imgfetch/list/name_allocator.hpp"

#include <cstdint>
#include <optional>

#include "imgfetch/list/sanitize.hpp"

namespace imgfetch {

namespace {

// "photo.jpg" -> "photo"; a name whose only dot is its first character has no extension.
// Only the last segment of a path ("host/a.b/img") has an extension.
std::size_t leaf_start(std::string_view name) {
    const auto slash = name.rfind('/');
    return slash == std::string_view::npos ? 0 : slash + 1;
}

std::string_view stem_of(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot <= leaf_start(name)) {
        return name;
    }
    return name.substr(0, dot);
}

// "photo.jpg", 2 -> "photo-2.jpg"; "photo", 2 -> "photo-2". Never longer than
// k_max_name_bytes: the stem gives up its last whole characters to make room for the suffix
// (a name whose extension leaves no room is numbered at its end, like a name without one).
// The digits after the last '-' tell every n apart, so the names tried stay distinct.
std::string with_suffix(std::string_view name, std::size_t n) {
    std::string suffix = "-"; // built in two steps: GCC 12 -O3 misreports "-" + to_string
    suffix += std::to_string(n);
    const std::size_t leaf = leaf_start(name); // a path's folders stay as they are
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot <= leaf ||
        name.size() - dot + suffix.size() >= k_max_name_bytes) {
        dot = name.size();
    }
    const std::string_view extension = name.substr(dot); // with its dot, or empty
    std::string result(name.substr(0, leaf));
    result += utf8_prefix(name.substr(leaf, dot - leaf),
                          k_max_name_bytes - suffix.size() - extension.size());
    result += suffix;
    result += extension;
    return result;
}

} // namespace

ReservedName NameAllocator::reserve(std::string_view wanted) {
    const std::string base = wanted.empty() ? std::string("index") : std::string(wanted);
    const bool needs_extension = !has_image_extension(base);
    std::size_t suffix = 1;
    std::string candidate = base;
    if (!is_free(candidate, needs_extension)) {
        // Only a base found taken can have collided before (names are only ever added), so
        // most names need no next_suffix look-up.
        const std::optional<std::uint64_t> remembered = m_taken.find(key(next_suffix, base));
        suffix = remembered ? static_cast<std::size_t>(*remembered) : 2;
        candidate = with_suffix(base, suffix);
    }
    while (!is_free(candidate, needs_extension)) {
        ++suffix;
        candidate = with_suffix(base, suffix);
    }
    if (suffix > 1) {
        m_taken.assign(key(next_suffix, base), suffix + 1);
    }
    take(candidate, needs_extension);
    return ReservedName{std::move(candidate), needs_extension};
}

const std::string& NameAllocator::key(Kind kind, std::string_view name) {
    m_key.assign(1, static_cast<char>(kind));
    m_key += name;
    return m_key;
}

bool NameAllocator::is_free(const std::string& name, bool needs_extension) {
    if (needs_extension) {
        // "name" becomes "name.<ext>": it must not be the stem of any name, open or complete.
        return !m_taken.contains(key(open_stem, name)) &&
               !m_taken.contains(key(full_name_stem, name)) &&
               !m_taken.contains(key(full_name, name));
    }
    return !m_taken.contains(key(full_name, name)) &&
           !m_taken.contains(key(open_stem, stem_of(name)));
}

void NameAllocator::take(const std::string& name, bool needs_extension) {
    if (needs_extension) {
        m_taken.try_emplace(key(open_stem, name), 0);
        return;
    }
    m_taken.try_emplace(key(full_name, name), 0);
    m_taken.try_emplace(key(full_name_stem, stem_of(name)), 0);
}

} // namespace imgfetch
