#pragma once

#include <cstddef>
#include <string>

namespace imgfetch::test {

// A body that starts with the PNG signature, followed by `size` deterministic bytes that
// differ per `seed`: enough for the image sniffer and for byte-for-byte comparisons.
inline std::string fake_png(std::size_t seed, std::size_t size = 2048) {
    std::string body("\x89PNG\r\n\x1a\n", 8);
    std::size_t state = seed * 2654435761U + 1;
    for (std::size_t i = 0; i < size; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        body.push_back(static_cast<char>(state >> 56));
    }
    return body;
}

inline std::string fake_jpeg(std::size_t seed, std::size_t size = 2048) {
    std::string body = fake_png(seed, size);
    body.replace(0, 8, std::string("\xFF\xD8\xFF\xE0\x00\x10JF", 8));
    return body;
}

} // namespace imgfetch::test
