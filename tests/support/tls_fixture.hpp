#pragma once

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "support/test_server.hpp"

namespace imgfetch::test {

namespace detail {

struct OpenSslDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    void operator()(X509* cert) const { X509_free(cert); }
    void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
    void operator()(std::FILE* file) const { std::fclose(file); }
};

template <typename T>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter>;

inline void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
    }
}

inline void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0); // self-signed: issuer is subject
    const OpenSslPtr<X509_EXTENSION> extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    check(extension != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, extension.get(), -1) == 1, "X509_add_ext");
}

template <typename Write>
void write_pem(const std::filesystem::path& path, Write write) {
    const OpenSslPtr<std::FILE> file(std::fopen(path.c_str(), "wb"));
    check(file != nullptr, "fopen");
    check(write(file.get()) == 1, "PEM_write");
}

} // namespace detail

// A fresh self-signed certificate (ECDSA P-256, SHA-256, valid from an hour ago for a day)
// written as PEM files `cert.pem` and `key.pem` into `dir`. The certificate is its own CA:
// pass cert_path to --cacert to trust it.
class SelfSignedCertificate {
public:
    SelfSignedCertificate(const std::filesystem::path& dir, const std::string& common_name,
                          const std::string& subject_alt_names)
        : m_cert_path(dir / "cert.pem"), m_key_path(dir / "key.pem") {
        using detail::check;
        const detail::OpenSslPtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
        check(key != nullptr, "EVP_EC_gen");
        const detail::OpenSslPtr<X509> cert(X509_new());
        check(cert != nullptr, "X509_new");
        check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
        check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1, "serial number");
        check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
        check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) != nullptr, "notAfter");
        X509_NAME* name = X509_get_subject_name(cert.get());
        check(X509_NAME_add_entry_by_txt(
                  name, "CN", MBSTRING_ASC,
                  reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
              "X509_NAME_add_entry_by_txt");
        check(X509_set_issuer_name(cert.get(), name) == 1, "X509_set_issuer_name");
        check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
        detail::add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
        detail::add_extension(cert.get(), NID_subject_alt_name, subject_alt_names.c_str());
        check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

        detail::write_pem(m_cert_path,
                          [&](std::FILE* file) { return PEM_write_X509(file, cert.get()); });
        detail::write_pem(m_key_path, [&](std::FILE* file) {
            return PEM_write_PrivateKey(file, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
        });
    }

    // For 127.0.0.1: CN=127.0.0.1, subjectAltName IP:127.0.0.1 and DNS:localhost.
    static SelfSignedCertificate for_loopback(const std::filesystem::path& dir) {
        return {dir, "127.0.0.1", "IP:127.0.0.1,DNS:localhost"};
    }

    const std::filesystem::path& cert_path() const { return m_cert_path; }
    const std::filesystem::path& key_path() const { return m_key_path; }

private:
    std::filesystem::path m_cert_path;
    std::filesystem::path m_key_path;
};

// A real HTTPS server on 127.0.0.1 and a free port, serving `certificate`: BasicTestServer over
// httplib::SSLServer, TestServer's twin over TLS (no warm-up request).
class TlsTestServer : public BasicTestServer<httplib::SSLServer> {
public:
    explicit TlsTestServer(const SelfSignedCertificate& certificate)
        : BasicTestServer({"TlsTestServer", "https", 8, false}, "127.0.0.1",
                          certificate.cert_path().c_str(), certificate.key_path().c_str()) {
        if (!server().is_valid()) {
            throw std::runtime_error("TlsTestServer: certificate or key not usable");
        }
    }
};

} // namespace imgfetch::test
