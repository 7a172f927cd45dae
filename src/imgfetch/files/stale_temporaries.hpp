#pragma once

#include <cstddef>
#include <optional>

#include "imgfetch/list/shard.hpp"

namespace imgfetch {

class OutputDir;

// After SIGKILL or a power cut, the temporaries of the downloads then in flight stay in DIR.
// Removes those no running imgfetch can own, given that the caller holds DIR's DirLock for
// `shard`: an unsharded run (the exclusive lock: nothing else runs in DIR) removes every
// temporary; shard K of N (its own lock excludes another K of N) removes only its own, never
// another shard's nor untagged ones (an imgfetch from before shard tags may be running as a
// shard and name its temporaries without a tag: the next unsharded run removes those). Only regular
// files whose names are temporary_name()'s are removed, never through a symlink (unlinkat
// removes a name, fstatat does not follow). Returns how many were removed; says so (info).
// --resume's partial downloads (resume_temporary_name()) are removed too by an unsharded run
// without `keep_partials` (a run without --resume: nothing partial is kept then), never by a
// shard (another shard may be continuing one; its lock is per file, not per run).
// Call once, from the main thread, after the DirLock is taken and before any download starts.
std::size_t remove_stale_temporaries(const OutputDir& dir, const std::optional<Shard>& shard,
                                     bool keep_partials = false);

} // namespace imgfetch
