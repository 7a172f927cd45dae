#pragma once

#include <cstddef>
#include <string_view>

namespace imgfetch {

// How deep a page may nest its elements before imgfetch refuses to parse it. gumbo's tree
// builder searches its stack of open elements for many tags, so a page that keeps nesting costs
// time quadratic (and worse) in its depth, and gumbo frees its tree recursively: measured on
// Debian 12's gumbo 0.10.1, 5,000 nested <div>s take 0.36 s, 20,000 take 14.5 s, and an 8 MiB
// page of them would take hours. Browsers stop nesting at 512 (Blink's tree builder); real pages
// rarely pass 100.
inline constexpr std::size_t k_max_page_nesting = 1024;

// Pure: an upper bound on the depth the HTML5 tree builder's stack of open elements reaches for
// `html` (the <html> and <body> elements included), found in one linear pass with no tree. It
// tokenizes as HTML5 does where it matters (tags and their quoted attributes, comments,
// raw-text elements, foreign content and its self-closing tags) and follows the tree builder's
// closing rules only where they surely pop (end tags with their scopes, the implied ends of p,
// li, dd, dt, option, tr, td, th and headings); where it cannot tell, it keeps an element open,
// so the bound errs high, never low. Formatting elements (b, i, font, a, ...) count while they
// are in the list the tree builder may reopen them from. Stops reading once the bound passes
// `stop_above` and returns it then (so a hostile page costs no more than the cap). O(size).
std::size_t nesting_bound(std::string_view html, std::size_t stop_above = k_max_page_nesting);

} // namespace imgfetch
