#pragma once

#include <string>

namespace imgfetch::test {

// Whether `part` occurs in `text`.
inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace imgfetch::test
