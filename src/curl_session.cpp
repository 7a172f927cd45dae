#include "imgfetch/curl_session.hpp"

#include "curl_handle.hpp"
#include "imgfetch/setup_error.hpp"

namespace imgfetch {

CurlGlobal::CurlGlobal() {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        throw SetupError("libcurl could not be initialised");
    }
}

CurlGlobal::~CurlGlobal() {
    curl_global_cleanup();
}

CurlSession::CurlSession() : m_handle(std::make_unique<Handle>()) {
    m_handle->easy = curl_easy_init();
    if (m_handle->easy == nullptr) {
        throw SetupError("libcurl could not create a transfer handle");
    }
}

CurlSession::~CurlSession() {
    curl_easy_cleanup(m_handle->easy);
}

} // namespace imgfetch
