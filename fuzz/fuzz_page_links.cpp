// libFuzzer target: the page extractor reads pages from any server. Any bytes must parse (an
// HTML5 parser accepts every input), and what comes out must keep its documented shape:
// absolute http(s) URLs without fragments or repeats, every srcset pick one of its candidates.
// And the nesting bound that guards the parse (page/nesting_bound.hpp) is never below the depth
// gumbo really builds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "imgfetch/page/nesting_bound.hpp"
#include "imgfetch/page/page_links.hpp"
#include "imgfetch/page/srcset.hpp"
#include "support/gumbo_depth.hpp"

namespace {

// An invariant: when it fails, say which one and crash so libFuzzer keeps the input.
void check(bool condition, int line = __builtin_LINE()) {
    if (!condition) {
        std::fprintf(stderr, "%s:%d: invariant failed\n", __FILE__, line);
        std::abort();
    }
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A copy of exactly `size` bytes on the heap, so ASan catches any read past its end.
    const std::string input(reinterpret_cast<const char*>(data), size);

    const std::size_t bound = imgfetch::nesting_bound(input, 1U << 20);
    if (bound < imgfetch::test::gumbo_tree_depth(input)) {
        std::fprintf(stderr, "nesting bound %zu below gumbo's depth %zu\n", bound,
                     imgfetch::test::gumbo_tree_depth(input));
        check(false);
    }

    std::set<std::string> urls;
    for (const imgfetch::PageLink& link :
         imgfetch::extract_page_links(input, "http://127.0.0.1/dir/page.html")) {
        check(starts_with(link.url, "http://") || starts_with(link.url, "https://"));
        check(link.url.find('#') == std::string::npos);
        check(link.url.find(' ') == std::string::npos);
        check(urls.insert(link.url).second); // no repeats
    }

    if (const auto largest = imgfetch::largest_srcset_candidate(input)) {
        check(!largest->empty());
        check(input.find(*largest) != std::string::npos); // a candidate's own text
        check(largest->find_first_of(" \t\n\r\f") == std::string::npos);
    }
    return 0;
}
