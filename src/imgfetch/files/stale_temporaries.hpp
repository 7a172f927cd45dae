#pragma once

#include <cstddef>
#include <optional>

#include "imgfetch/list/shard.hpp"

namespace imgfetch {

class OutputDir;

// After SIGKILL or a power cut, the temporaries of the downloads then in flight stay in DIR.
// Removes those no running imgfetch can own, given that the caller holds DIR's DirLock for
// `shard`: an unsharded run (the exclusive lock: nothing else runs in DIR) removes every
// temporary; shard K of N (the shared lock excludes unsharded runs, its own lock another K of N)
// removes an unsharded run's temporaries and its own, never another shard's. Only regular
// files whose names are temporary_name()'s are removed, never through a symlink (unlinkat
// removes a name, fstatat does not follow). Returns how many were removed; says so (info).
// Call once, from the main thread, after the DirLock is taken and before any download starts.
std::size_t remove_stale_temporaries(const OutputDir& dir, const std::optional<Shard>& shard);

} // namespace imgfetch
