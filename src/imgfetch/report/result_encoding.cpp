#include "imgfetch/report/result_encoding.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace imgfetch {

namespace {

// A new field must be written and read below, or spilled results would lose it: this fails
// to compile until encode_result() and decode_result() have been looked at.
static_assert(sizeof(TransferResult) == 640,
              "TransferResult changed: update encode_result() and decode_result()");

class Encoder {
public:
    template <typename T>
    void value(const T& v) {
        m_out.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void text(const std::string& s) {
        value(static_cast<std::uint64_t>(s.size()));
        m_out += s;
    }
    template <typename T>
    void optional(const std::optional<T>& v) {
        value(static_cast<std::uint8_t>(v.has_value()));
        if (v) {
            if constexpr (std::is_same_v<T, std::string>) {
                text(*v);
            } else {
                value(*v);
            }
        }
    }
    std::string take() { return std::move(m_out); }

private:
    std::string m_out;
};

class Decoder {
public:
    explicit Decoder(const std::string& in) : m_in(in) {}
    template <typename T>
    void value(T& v) {
        need(sizeof v);
        std::memcpy(&v, m_in.data() + m_at, sizeof v);
        m_at += sizeof v;
    }
    void text(std::string& s) {
        std::uint64_t size = 0;
        value(size);
        need(size);
        s.assign(m_in, m_at, static_cast<std::size_t>(size));
        m_at += static_cast<std::size_t>(size);
    }
    template <typename T>
    void optional(std::optional<T>& v) {
        std::uint8_t present = 0;
        value(present);
        if (present == 0) {
            v.reset();
            return;
        }
        T inner{};
        if constexpr (std::is_same_v<T, std::string>) {
            text(inner);
        } else {
            value(inner);
        }
        v = std::move(inner);
    }

private:
    void need(std::uint64_t size) const {
        if (m_in.size() - m_at < size) {
            // Only a corrupted temporary file can get here.
            throw std::runtime_error("imgfetch's temporary file is corrupted");
        }
    }
    const std::string& m_in;
    std::size_t m_at = 0;
};

} // namespace

std::size_t result_string_bytes(const TransferResult& r) {
    return r.url.size() + r.path.size() + r.http_version.size() + r.error.size() +
           (r.sha256 ? r.sha256->size() : 0) + r.source_url.size() + r.file_name.size() +
           r.format.size() + r.reason.size() + r.effective_url.size() + r.same_content_as.size() +
           r.page.size() + r.saved_name.size() + r.etag.size() + r.last_modified.size();
}

std::string encode_result(const TransferResult& r) {
    Encoder e;
    e.value(static_cast<std::uint64_t>(r.seq));
    e.value(static_cast<std::uint64_t>(r.line));
    e.text(r.url);
    e.text(r.path);
    e.value(static_cast<std::uint8_t>(r.status));
    e.optional(r.http_status);
    e.text(r.http_version);
    e.value(r.bytes);
    e.value(r.received);
    e.value(r.resumed_from);
    e.value(r.attempts);
    e.value(r.connections);
    e.value(r.tls_handshakes);
    e.optional(r.worker);
    e.optional(r.start);
    e.optional(r.end);
    e.text(r.error);
    e.optional(r.duplicate_of);
    e.optional(r.sha256);
    e.text(r.format);
    e.value(r.width);
    e.value(r.height);
    e.value(r.frames);
    e.text(r.reason);
    e.text(r.effective_url);
    e.text(r.same_content_as);
    e.text(r.page);
    e.text(r.source_url);
    e.text(r.file_name);
    e.text(r.saved_name);
    e.text(r.etag);
    e.text(r.last_modified);
    return e.take();
}

TransferResult decode_result(const std::string& bytes) {
    Decoder d(bytes);
    TransferResult r;
    std::uint64_t seq = 0;
    std::uint64_t line = 0;
    std::uint8_t status = 0;
    d.value(seq);
    d.value(line);
    r.seq = static_cast<std::size_t>(seq);
    r.line = static_cast<std::size_t>(line);
    d.text(r.url);
    d.text(r.path);
    d.value(status);
    r.status = static_cast<Status>(status);
    d.optional(r.http_status);
    d.text(r.http_version);
    d.value(r.bytes);
    d.value(r.received);
    d.value(r.resumed_from);
    d.value(r.attempts);
    d.value(r.connections);
    d.value(r.tls_handshakes);
    d.optional(r.worker);
    d.optional(r.start);
    d.optional(r.end);
    d.text(r.error);
    d.optional(r.duplicate_of);
    d.optional(r.sha256);
    d.text(r.format);
    d.value(r.width);
    d.value(r.height);
    d.value(r.frames);
    d.text(r.reason);
    d.text(r.effective_url);
    d.text(r.same_content_as);
    d.text(r.page);
    d.text(r.source_url);
    d.text(r.file_name);
    d.text(r.saved_name);
    d.text(r.etag);
    d.text(r.last_modified);
    return r;
}

} // namespace imgfetch
