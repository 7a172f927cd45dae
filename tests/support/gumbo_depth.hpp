#pragma once

// The depth of the element tree gumbo builds for a page (<html> is 1), measured without
// recursion: what page/nesting_bound.hpp bounds from above, checked by its tests and its fuzzer.

#include <gumbo.h>

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace imgfetch::test {

inline std::size_t gumbo_tree_depth(std::string_view html) {
    GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
    std::size_t deepest = 0;
    std::vector<std::pair<const GumboNode*, std::size_t>> pending{{output->document, 0}};
    while (!pending.empty()) {
        const auto [node, depth] = pending.back();
        pending.pop_back();
        const bool element = node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE;
        if (!element && node->type != GUMBO_NODE_DOCUMENT) {
            continue;
        }
        deepest = std::max(deepest, depth);
        const GumboVector& children = node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children
                                                                        : node->v.element.children;
        for (unsigned int i = 0; i < children.length; ++i) {
            pending.emplace_back(static_cast<const GumboNode*>(children.data[i]), depth + 1);
        }
    }
    gumbo_destroy_output(&kGumboDefaultOptions, output);
    return deepest;
}

} // namespace imgfetch::test
