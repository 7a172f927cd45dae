#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct evp_md_ctx_st; // OpenSSL's EVP_MD_CTX

namespace imgfetch {

// SHA-256 of a byte stream, fed as it arrives (--checksum sha256), over OpenSSL's EVP API.
// One per transfer; not thread-safe (one thread feeds it). Throws std::runtime_error when
// OpenSSL fails (never for valid input).
class Sha256Stream {
public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(const Sha256Stream&) = delete;
    Sha256Stream& operator=(const Sha256Stream&) = delete;
    Sha256Stream(Sha256Stream&&) noexcept;
    Sha256Stream& operator=(Sha256Stream&&) noexcept;

    void update(const char* data, std::size_t size);

    // The digest of everything fed, as 64 lower-case hex digits; call once, after the last
    // update().
    std::string hex_digest();

private:
    struct Free {
        void operator()(evp_md_ctx_st* context) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> m_context;
};

} // namespace imgfetch
