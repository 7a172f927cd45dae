#include "imgfetch/transfer/proxy_env.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/list/url.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

// The variable's value, or nothing when it is unset or empty (libcurl's curl_getenv treats an
// empty variable as unset, and goes on to the next name).
std::optional<std::string> variable(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value == nullptr || *value == '\0' ? std::nullopt : std::optional<std::string>(value);
}

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

// `host` within the IPv4 CIDR range `network/bits`.
bool in_ipv4_range(std::string_view host, std::string_view network, std::string_view bits) {
    in_addr address{};
    in_addr base{};
    const std::string host_text(host);
    const std::string network_text(network);
    if (inet_pton(AF_INET, host_text.c_str(), &address) != 1 ||
        inet_pton(AF_INET, network_text.c_str(), &base) != 1 || bits.empty() || bits.size() > 2 ||
        !std::all_of(bits.begin(), bits.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
        return false;
    }
    const int prefix = std::stoi(std::string(bits));
    if (prefix > 32) {
        return false;
    }
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    return (ntohl(address.s_addr) & mask) == (ntohl(base.s_addr) & mask);
}

bool entry_matches(std::string_view entry, std::string_view host) {
    if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
        return in_ipv4_range(host, entry.substr(0, slash), entry.substr(slash + 1));
    }
    if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') {
        entry = entry.substr(1, entry.size() - 2); // an IPv6 address written as in a URL
    }
    if (!entry.empty() && entry.front() == '.') {
        entry.remove_prefix(1);
    }
    if (entry.empty()) {
        return false;
    }
    const std::string name = lower(entry);
    if (host == name) {
        return true;
    }
    // A domain matches its subdomains, on a dot boundary: "example.com" covers "a.example.com".
    return host.size() > name.size() && host.substr(host.size() - name.size()) == name &&
           host[host.size() - name.size() - 1] == '.';
}

} // namespace

bool no_proxy_matches(std::string_view list, std::string_view host) {
    if (trimmed(list) == "*") {
        return true;
    }
    while (!list.empty()) {
        const auto comma = list.find_first_of(", ");
        const std::string_view entry = trimmed(list.substr(0, comma));
        if (entry_matches(entry, host)) {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<std::string> proxy_for(std::string_view url, const TransferOptions& settings) {
    const auto separator = url.find("://");
    if (separator == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string scheme = lower(url.substr(0, separator));
    std::string host = host_key(url);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    std::optional<std::string> no_proxy = settings.noproxy;
    if (!no_proxy) {
        no_proxy = variable("no_proxy") ? variable("no_proxy") : variable("NO_PROXY");
    }
    if (no_proxy && no_proxy_matches(*no_proxy, host)) {
        return std::nullopt;
    }
    if (!settings.proxy.empty()) {
        return settings.proxy;
    }
    std::optional<std::string> proxy = variable(scheme + "_proxy");
    if (!proxy && scheme != "http") {
        proxy = variable(upper(scheme) + "_PROXY");
    }
    if (!proxy) {
        proxy = variable("all_proxy") ? variable("all_proxy") : variable("ALL_PROXY");
    }
    return proxy;
}

std::optional<std::string> proxy_from_environment(std::string_view url) {
    return proxy_for(url, TransferOptions{});
}

std::string redact_proxy_credentials(std::string_view url) {
    if (url.find("://") != std::string_view::npos) {
        return redact_credentials(url);
    }
    const std::string_view scheme = "http://";
    return redact_credentials(std::string(scheme) + std::string(url)).substr(scheme.size());
}

bool is_supported_proxy_url(std::string_view url) {
    const auto separator = url.find("://");
    if (separator == std::string_view::npos) {
        return false;
    }
    const std::string scheme = lower(url.substr(0, separator));
    if (scheme != "http" && scheme != "https" && scheme != "socks5" && scheme != "socks5h") {
        return false;
    }
    std::string_view rest = url.substr(separator + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest.remove_prefix(at + 1); // user:password@
    }
    return !rest.empty() && rest.front() != ':';
}

} // namespace imgfetch
