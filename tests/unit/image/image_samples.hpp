#pragma once

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

#include "imgfetch/image/structure_check.hpp"

namespace imgfetch::test {

// A sample from tests/data/images/ (made by its make.sh), read whole.
inline std::string sample_image(std::string_view name) {
    const std::string path = std::string(IMGFETCH_TEST_IMAGES) + "/" + std::string(name);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The structure check of `body`, fed in pieces of `piece` bytes.
inline ImageCheck check_image(std::string_view body, std::size_t piece = 4096) {
    StructureCheck check;
    for (std::size_t at = 0; at < body.size(); at += piece) {
        check.feed(body.substr(at, piece));
    }
    return check.finish();
}

} // namespace imgfetch::test
