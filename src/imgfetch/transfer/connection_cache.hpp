#pragma once

namespace imgfetch {

// How a worker keeps its connections, shared by the transfer layer (libcurl's options) and the
// scheduler (which hosts a worker is taken to hold a live connection to), so both agree.

// Idle connections one worker's easy handle keeps (CURLOPT_MAXCONNECTS; libcurl's default is
// 5). Host-affine dispatch (run/scheduler.hpp) gives each worker a few hosts of a many-host
// list; 8 leaves room for those plus redirect targets, and bounds the idle sockets of -j 512
// to 4096 (counted in run/descriptor_limit.hpp). libcurl closes the oldest idle one past it.
inline constexpr long k_connections_per_worker = 8;

// Seconds an idle connection may wait for its next transfer before libcurl closes it instead
// of reusing it (CURLOPT_MAXAGE_CONN; libcurl's default is 118). 30 s: long enough to span a
// worker's turns among its hosts in a list of any mix, short enough that sockets to hosts a
// worker no longer serves do not linger, and below common servers' keep-alive timeouts
// (nginx 75 s, most CDNs 60 s or more), so a reused connection is seldom one the server has
// already closed (libcurl then reconnects, at the cost of a round trip).
inline constexpr long k_idle_connection_max_age_s = 30;

} // namespace imgfetch
