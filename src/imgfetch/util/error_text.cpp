#include "imgfetch/util/error_text.hpp"

#include <array>
#include <cstring>

namespace imgfetch {

std::string error_text(int errnum) {
    // GNU strerror_r() (g++ and clang++ define _GNU_SOURCE): the text std::strerror() gives,
    // either in `buffer` or in static storage that no call changes.
    std::array<char, 256> buffer{};
    return ::strerror_r(errnum, buffer.data(), buffer.size());
}

} // namespace imgfetch
