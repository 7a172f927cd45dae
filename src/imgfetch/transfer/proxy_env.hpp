#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// The proxy libcurl takes from the environment for `url`, as libcurl 7.88 decides it:
// `no_proxy` (then `NO_PROXY`) first — "*", or a comma-separated list of host names (a name
// matches itself and its subdomains; a leading dot is ignored), IP addresses and IPv4 CIDR
// ranges; then `<scheme>_proxy` in lower case, for schemes other than http also in upper case
// (uppercase HTTP_PROXY is never read: CGI sets it from a request header); then `all_proxy`,
// `ALL_PROXY`; an empty variable counts as unset, as in libcurl. Nothing when no proxy applies.
// Used to name the proxy in a connection error: libcurl connects to the proxy, not the server.
// Thread-safe while nobody changes the environment (imgfetch never does).
std::optional<std::string> proxy_from_environment(std::string_view url);

// Whether `host` (lower case, IPv6 without brackets) matches the no_proxy list `list`.
bool no_proxy_matches(std::string_view list, std::string_view host);

} // namespace imgfetch
