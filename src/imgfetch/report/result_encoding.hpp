#pragma once

// A TransferResult as bytes and back, for the results ResultOrder spills to disk while an
// earlier one holds the order back. Pure.

#include <cstddef>
#include <string>

#include "imgfetch/transfer/transfer_result.hpp"

namespace imgfetch {

// Every field the outputs read (the retry policy's fields are not kept). Exposed for its
// round-trip test.
std::string encode_result(const TransferResult& result);
TransferResult decode_result(const std::string& bytes);

// The bytes a result's strings hold: what it costs in memory beyond its size.
std::size_t result_string_bytes(const TransferResult& result);

} // namespace imgfetch
