#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/list/task.hpp"

namespace imgfetch {

// What the user adds to a request: -H/--header lines, a list line's own headers, the Referer,
// and where they may go. Plain strings, no libcurl types: the command line checks its values
// with these too. Pure functions; thread-safe.

// Why `line` is not a header line imgfetch sends: "Name: value", or "Name:" alone (removes a
// header libcurl would send). The name is an HTTP token (letters, digits, !#$%&'*+-.^_`|~);
// the value has no control character but tab. Empty when it is fine. The text names the
// header but never quotes its value (it may be a secret).
std::string header_line_problem(std::string_view line);

// The header's name: what comes before the first ':' ("" when there is none).
std::string_view header_name(std::string_view line);

// The user's headers of one request to the listed host: `option_headers` (--header) in their
// order, then `task_headers` (a list line's); a task header replaces every --header of the same
// name (names compare without case).
std::vector<std::string> user_header_lines(const std::vector<std::string>& option_headers,
                                           const std::vector<std::string>& task_headers);

// Why `referer` cannot be a --referer value ("origin", or an http or https URL without control
// characters); empty when it is fine.
std::string referer_problem(std::string_view referer);

// The Referer of a request for `task` to its listed host: the task's own, else --referer;
// "origin" is the listed URL's "scheme://host[:port]/". Nothing when neither gives one.
std::optional<std::string> referer_for(const TransferOptions& settings, const Task& task);

// True when a request to `hop_url` goes to the listed URL's own origin: the same scheme, host
// (without case) and port, or the same host reached over https after http on the default
// ports (http://h/ -> https://h/). What user headers, the Referer and credentials need.
bool is_listed_origin(std::string_view listed_url, std::string_view hop_url);

// True when a request for `task` may carry something only its listed origin gets: a user header
// (--header or the list line's), a Referer, or credentials (-u, --netrc, --netrc-file). When
// false, whether a hop is to the listed origin changes nothing, and is_listed_origin() (two
// URL parses, about 17,000 instructions) need not be asked.
bool has_origin_bound_details(const TransferOptions& settings, const Task& task);

} // namespace imgfetch
