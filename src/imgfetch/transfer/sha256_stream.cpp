#include "imgfetch/transfer/sha256_stream.hpp"

#include <openssl/evp.h>
#include <string_view>

#include <array>
#include <stdexcept>

namespace imgfetch {

void Sha256Stream::Free::operator()(evp_md_ctx_st* context) const {
    EVP_MD_CTX_free(context);
}

Sha256Stream::Sha256Stream() : m_context(EVP_MD_CTX_new()) {
    if (!m_context || EVP_DigestInit_ex(m_context.get(), EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 is not available (OpenSSL)");
    }
}

Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(const char* data, std::size_t size) {
    if (EVP_DigestUpdate(m_context.get(), data, size) != 1) {
        throw std::runtime_error("SHA-256 update failed (OpenSSL)");
    }
}

std::string Sha256Stream::hex_digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    if (EVP_DigestFinal_ex(m_context.get(), digest.data(), &size) != 1) {
        throw std::runtime_error("SHA-256 final failed (OpenSSL)");
    }
    static constexpr std::string_view k_hex = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * size);
    for (unsigned i = 0; i < size; ++i) {
        hex.push_back(k_hex[digest[i] >> 4]);
        hex.push_back(k_hex[digest[i] & 0xF]);
    }
    return hex;
}

} // namespace imgfetch
