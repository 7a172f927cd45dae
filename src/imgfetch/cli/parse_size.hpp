#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace imgfetch {

// Pure: "1500", "10k", "2M", "1G" (powers of 1024, case-insensitive, optional trailing "B"
// or "iB") -> bytes. Nothing for malformed or overflowing input.
std::optional<std::uint64_t> parse_size(std::string_view text);

} // namespace imgfetch
