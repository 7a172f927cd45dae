#pragma once

#include <memory>

namespace imgfetch {

// A libcurl share handle that lets every worker's session reuse one DNS cache, one TLS
// session cache (fewer lookups and full handshakes) and one cookie jar: a cookie a server set
// in one worker's transfer goes with every worker's next request to that server, as in one
// browser, so a cookie check is passed once per run, not once per worker. It shares nothing
// else: connections and HSTS are not safe to share across threads in libcurl 7.88.
//
// The TLS session cache is small: 8 sessions for the whole share in libcurl 7.88.1
// (lib/share.c), 5 in an easy handle of its own (lib/url.c), and neither can be set. Over a
// list of many hosts it cannot keep a session for every host, so we work around it rather than
// size it: host-affine dispatch (run/scheduler.hpp) keeps each worker's connections to its few
// hosts alive, so new connections (and handshakes) are rare, mostly each worker's first one to a
// host, and the shared cache still lets that one resume a session another worker made while it
// is among the 8 used last. The report's tls_handshakes counts them.
// Thread-safe through libcurl's lock callbacks, which take one mutex per shared data kind.
// Must outlive every session using it.
class CurlShare {
public:
    struct Handle; // defined in src/, keeps curl types out of public headers

    CurlShare(); // throws SetupError
    ~CurlShare();
    CurlShare(const CurlShare&) = delete;
    CurlShare& operator=(const CurlShare&) = delete;

    Handle& handle() { return *m_handle; }

private:
    std::unique_ptr<Handle> m_handle;
};

} // namespace imgfetch
