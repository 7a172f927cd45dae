#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// Pure checks of the request details one row of a list with columns may give (CSV/TSV
// columns, JSON Lines keys): what a bad row is, in one place for every format.

// `text` as 64 lower-case hex digits; nothing when it is not 64 hex digits (either case).
std::optional<std::string> normalized_sha256(std::string_view text);

// True when `text` holds a CR, an LF or a NUL: it would end a request header early.
bool has_line_break(std::string_view text);

// Empty when "name: value" may be sent as a header; else why not (without the value, which may
// be a secret): the name must be an HTTP token, the value free of CR, LF and NUL.
std::string header_problem(std::string_view name, std::string_view value);

// The reason for a bad expected hash, quoting at most its first bytes.
std::string bad_sha256_reason(std::string_view text);

} // namespace imgfetch
