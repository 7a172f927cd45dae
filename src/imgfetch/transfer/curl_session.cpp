#include "imgfetch/transfer/curl_session.hpp"

#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/curl_handle.hpp"

namespace imgfetch {

CurlGlobal::CurlGlobal() {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        throw SetupError("libcurl could not be initialised");
    }
}

CurlGlobal::~CurlGlobal() {
    curl_global_cleanup();
}

CurlSession::CurlSession(CurlShare* share) : m_handle(std::make_unique<Handle>()) {
    m_handle->easy = curl_easy_init();
    if (m_handle->easy == nullptr) {
        throw SetupError("libcurl could not create a transfer handle");
    }
    if (share != nullptr) {
        m_handle->share = share->handle().share;
    }
    // libcurl's in-memory cookie engine, on for every transfer ("" names no file to read):
    // a CDN or anti-bot check that sets a cookie and redirects back until it returns then
    // passes, as in a browser. Nothing is ever written to disk (no CURLOPT_COOKIEJAR).
    curl_easy_setopt(m_handle->easy, CURLOPT_COOKIEFILE, "");
}

CurlSession::~CurlSession() {
    curl_easy_cleanup(m_handle->easy);
}

namespace {

void lock_shared(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlShare::Handle*>(user)->mutexes.at(static_cast<std::size_t>(data)).lock();
}

void unlock_shared(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlShare::Handle*>(user)->mutexes.at(static_cast<std::size_t>(data)).unlock();
}

} // namespace

CurlShare::CurlShare() : m_handle(std::make_unique<Handle>()) {
    m_handle->share = curl_share_init();
    if (m_handle->share == nullptr) {
        throw SetupError("libcurl could not create a share handle");
    }
    CURLSH* share = m_handle->share;
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &lock_shared);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &unlock_shared);
    curl_share_setopt(share, CURLSHOPT_USERDATA, m_handle.get());
    // DNS, TLS sessions and cookies only: never CURL_LOCK_DATA_CONNECT or HSTS (see the header).
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
}

CurlShare::~CurlShare() {
    curl_share_cleanup(m_handle->share);
}

} // namespace imgfetch
