#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace imgfetch {

// A file saved by this run, as the registry knows it.
struct SavedFile {
    std::string name; // in the output directory (for linkat)
    std::string path; // the user-facing path (the report's `path`)
};

// With --checksum sha256: the files this run saved, by the SHA-256 of their bytes, so a later
// body with the same bytes can name the earlier file (the report's duplicate_of) or be
// hard-linked to it (--dedupe link). "Earlier" is the order of add_or_find() calls, which each
// download makes right after its file is under its final name: the first file registered with
// a digest stays its file for the whole run.
// Owned by the run (run_pool / run_sequential, reached through DownloadContext::same_content);
// thread-safe: every member takes m_mutex, the one lock, for a map lookup or insert only.
class ContentRegistry {
public:
    // The file registered with `digest`, if any.
    std::optional<SavedFile> find(const std::string& digest) const;

    // Registers `file` under `digest` when no file has it yet and returns nothing; else returns
    // the earlier file and leaves it registered. One atomic step: of two racing callers with
    // the same digest exactly one registers.
    std::optional<SavedFile> add_or_find(const std::string& digest, const SavedFile& file);

private:
    mutable std::mutex m_mutex;                         // guards m_files
    std::unordered_map<std::string, SavedFile> m_files; // digest -> first file saved
};

} // namespace imgfetch
