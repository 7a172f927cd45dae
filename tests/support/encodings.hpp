#pragma once

// Content-Encodings made at test time with the real libraries (zlib, brotli, zstd), so a test
// server can send what S3, CDNs and nginx's gzip_static send.
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace imgfetch::test {

namespace detail {

// `input` through zlib with `window_bits` (15: zlib format, the HTTP "deflate"; 31: gzip).
inline std::string zlib_encode(std::string_view input, int window_bits) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::string out(deflateBound(&stream, static_cast<uLong>(input.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (rc != Z_STREAM_END) {
        throw std::runtime_error("deflate did not finish");
    }
    return out;
}

} // namespace detail

inline std::string gzip_encode(std::string_view input) {
    return detail::zlib_encode(input, 15 + 16);
}

// HTTP's "deflate" is the zlib format (RFC 9110 8.4.1.2).
inline std::string deflate_encode(std::string_view input) {
    return detail::zlib_encode(input, 15);
}

inline std::string brotli_encode(std::string_view input) {
    std::size_t size = BrotliEncoderMaxCompressedSize(input.size());
    std::string out(size, '\0');
    if (BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
                              input.size(), reinterpret_cast<const std::uint8_t*>(input.data()),
                              &size, reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_TRUE) {
        throw std::runtime_error("BrotliEncoderCompress failed");
    }
    out.resize(size);
    return out;
}

inline std::string zstd_encode(std::string_view input) {
    std::string out(ZSTD_compressBound(input.size()), '\0');
    const std::size_t size = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 3);
    if (ZSTD_isError(size) != 0U) {
        throw std::runtime_error(std::string("ZSTD_compress: ") + ZSTD_getErrorName(size));
    }
    out.resize(size);
    return out;
}

} // namespace imgfetch::test
