#include "imgfetch/cli/parse_size.hpp"

#include <cstdint>

namespace imgfetch {

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        const auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            return std::nullopt;
        }
        value = value * 10 + digit;
    }
    if (i == 0) {
        return std::nullopt;
    }
    std::string_view unit = text.substr(i);
    unsigned shift = 0;
    if (!unit.empty()) {
        switch (unit.front()) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        default:
            break;
        }
    }
    if (shift != 0) {
        unit.remove_prefix(1);
        if (unit == "iB" || unit == "ib") {
            unit = {};
        }
    }
    if (unit == "B" || unit == "b") {
        unit = {};
    }
    if (!unit.empty()) {
        return std::nullopt;
    }
    if (shift != 0 && value > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return value << shift;
}

} // namespace imgfetch
