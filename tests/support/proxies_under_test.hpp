#pragma once

#include "support/forward_proxy.hpp"
#include "support/loopback_daemon.hpp"
#include "support/squid_proxy.hpp"
#include "support/tinyproxy_proxy.hpp"

namespace imgfetch::test {

// The Debian HTTP proxies the proxy tests run against (tests/e2e/test_proxy.cpp,
// test_proxy_flags.cpp), each skippable and replaceable by its environment variables.
using ProxyUnderTest = DaemonUnderTest<ForwardProxy>;

inline const ProxyUnderTest k_squid{"squid", "IMGFETCH_SQUID", "IMGFETCH_SKIP_SQUID_TESTS",
                                    start_squid};
inline const ProxyUnderTest k_tinyproxy{"tinyproxy", "IMGFETCH_TINYPROXY",
                                        "IMGFETCH_SKIP_TINYPROXY_TESTS", start_tinyproxy};

} // namespace imgfetch::test
