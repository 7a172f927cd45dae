#pragma once

#include <memory>

namespace imgfetch {

class CurlShare;

// libcurl's process-wide setup: construct once in main() before any thread starts.
class CurlGlobal {
public:
    CurlGlobal(); // throws SetupError when libcurl cannot initialise
    ~CurlGlobal();
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
};

// One reusable libcurl easy handle with imgfetch's fixed settings. Create it on the thread
// that uses it and reuse it for that thread's downloads (keep-alive connections, cached
// DNS). Not thread-safe: one owner thread.
class CurlSession {
public:
    struct Handle; // defined in src/, keeps curl types out of public headers

    // `share` (optional) must outlive the session. Throws SetupError when the handle cannot
    // be created.
    explicit CurlSession(CurlShare* share = nullptr);
    ~CurlSession();
    CurlSession(const CurlSession&) = delete;
    CurlSession& operator=(const CurlSession&) = delete;

    Handle& handle() { return *m_handle; }

private:
    std::unique_ptr<Handle> m_handle;
};

} // namespace imgfetch
