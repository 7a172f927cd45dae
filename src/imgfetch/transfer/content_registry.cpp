#include "imgfetch/transfer/content_registry.hpp"

namespace imgfetch {

std::optional<SavedFile> ContentRegistry::find(const std::string& digest) const {
    const std::lock_guard lock(m_mutex);
    const auto found = m_files.find(digest);
    if (found == m_files.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::optional<SavedFile> ContentRegistry::add_or_find(const std::string& digest,
                                                      const SavedFile& file) {
    const std::lock_guard lock(m_mutex);
    const auto [at, added] = m_files.try_emplace(digest, file);
    if (added) {
        return std::nullopt;
    }
    return at->second;
}

} // namespace imgfetch
