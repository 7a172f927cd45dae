#pragma once

#include "imgfetch/transfer/connection_cache.hpp"

namespace imgfetch {

// Descriptors one worker may hold at once: its connection cache (k_connections_per_worker),
// the temporary file of its download, and the socket pair of a threaded DNS lookup.
inline constexpr unsigned k_descriptors_per_worker =
    static_cast<unsigned>(k_connections_per_worker) + 3;
// Descriptors the run needs besides its workers' and those already open: report, timeline and
// failed-list temporaries, spill files of the name tables, the terminal, a lookup or two.
inline constexpr unsigned k_descriptor_margin = 24;

// Makes room for `jobs` workers under RLIMIT_NOFILE: raises the soft limit toward the hard one
// as far as the run needs (what is open now, the margin and k_descriptors_per_worker per
// worker). Returns how many workers fit: `jobs`, or fewer when the hard limit is too low, in
// which case it warns once, naming the limit (never a failure per file later). At least 1.
// Call once from the main thread before any worker starts.
unsigned fit_workers_to_descriptor_limit(unsigned jobs);

} // namespace imgfetch
