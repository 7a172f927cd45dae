#pragma once

#include <openssl/evp.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace imgfetch::test {

// The SHA-256 of `data` in lowercase hex, computed by OpenSSL: the reference that imgfetch's own
// streaming digest (--checksum) is checked against. Throws std::runtime_error when OpenSSL fails.
inline std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL: EVP_Digest failed");
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < size; ++i) {
        hex += k_hex[digest[i] >> 4];
        hex += k_hex[digest[i] & 0xF];
    }
    return hex;
}

} // namespace imgfetch::test
