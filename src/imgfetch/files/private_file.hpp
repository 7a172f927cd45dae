#pragma once

#include <filesystem>
#include <string_view>

namespace imgfetch {

// Files that hold secrets the user hands imgfetch (a cookies.txt, a .netrc): whether others
// can read them. Thread-safe (stats the file, keeps nothing).

// True when `path` exists and its mode lets its group or others read it.
bool readable_by_others(const std::filesystem::path& path);

// Logs one warning naming `path` and what it holds (`what`, e.g. "cookie file") when
// readable_by_others(path); nothing otherwise. Never logs the file's contents.
void warn_if_readable_by_others(const std::filesystem::path& path, std::string_view what);

} // namespace imgfetch
