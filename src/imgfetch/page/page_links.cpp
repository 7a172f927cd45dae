#include "imgfetch/page/page_links.hpp"

#include <array>
#include <optional>
#include <unordered_map>

#include <gumbo.h>

#include "imgfetch/page/srcset.hpp"
#include "imgfetch/page/url_resolver.hpp"

namespace imgfetch {

namespace {

std::string lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// The value of an element's attribute, or nothing.
std::optional<std::string_view> attribute(const GumboElement& element, const char* name) {
    const GumboAttribute* found = gumbo_get_attribute(&element.attributes, name);
    if (found == nullptr || found->value == nullptr) {
        return std::nullopt;
    }
    return std::string_view(found->value);
}

bool attribute_is(const GumboElement& element, const char* name, std::string_view wanted) {
    const auto value = attribute(element, name);
    return value && lowered(*value) == wanted;
}

// True when the whitespace-separated list in `value` holds `token` (any case).
bool has_token(std::string_view value, std::string_view token) {
    const std::string text = lowered(value);
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find_first_of(" \t\n\r\f", pos), text.size());
        if (std::string_view(text).substr(pos, end - pos) == token) {
            return true;
        }
        pos = end + 1;
    }
    return false;
}

// Collects resolved links in order, without repeats. One per extraction.
class LinkList {
public:
    explicit LinkList(UrlResolver& resolver) : m_resolver(resolver) {}

    void add(std::optional<std::string_view> reference, bool needs_probe = false) {
        if (!reference) {
            return;
        }
        std::optional<std::string> url = m_resolver.resolve(*reference);
        if (!url) {
            return;
        }
        const auto [at, inserted] = m_index.try_emplace(*url, m_links.size());
        if (inserted) {
            m_links.push_back({std::move(*url), needs_probe});
        } else if (!needs_probe) {
            m_links[at->second].needs_probe = false;
        }
    }

    void add_srcset(std::optional<std::string_view> srcset) {
        if (srcset) {
            const std::optional<std::string> largest = largest_srcset_candidate(*srcset);
            if (largest) {
                add(std::string_view(*largest));
            }
        }
    }

    std::vector<PageLink> take() { return std::move(m_links); }

private:
    UrlResolver& m_resolver;
    std::vector<PageLink> m_links;
    std::unordered_map<std::string, std::size_t> m_index; // url -> position in m_links
};

// gumbo 0.10 has no tag constant for <picture>: it is an unknown tag, told by its name.
bool inside_picture(const GumboNode& node) {
    const GumboNode* parent = node.parent;
    if (parent == nullptr || parent->type != GUMBO_NODE_ELEMENT ||
        parent->v.element.tag != GUMBO_TAG_UNKNOWN) {
        return false;
    }
    GumboStringPiece name = parent->v.element.original_tag;
    gumbo_tag_from_original_text(&name);
    return name.data != nullptr && lowered(std::string_view(name.data, name.length)) == "picture";
}

void add_anchor(LinkList& links, const GumboElement& element, UrlResolver& resolver) {
    const auto href = attribute(element, "href");
    if (!href) {
        return;
    }
    const std::optional<std::string> url = resolver.resolve(*href);
    if (url) {
        links.add(std::string_view(*url), !names_image_file(UrlResolver::path_of(*url)));
    }
}

void add_element(LinkList& links, const GumboNode& node, UrlResolver& resolver) {
    const GumboElement& element = node.v.element;
    switch (element.tag) {
    case GUMBO_TAG_IMG:
        links.add(attribute(element, "src"));
        links.add_srcset(attribute(element, "srcset"));
        links.add(attribute(element, "data-src"));
        links.add_srcset(attribute(element, "data-srcset"));
        links.add(attribute(element, "data-original"));
        links.add(attribute(element, "data-lazy-src"));
        break;
    case GUMBO_TAG_SOURCE:
        if (inside_picture(node)) {
            links.add_srcset(attribute(element, "srcset"));
            links.add_srcset(attribute(element, "data-srcset"));
        }
        break;
    case GUMBO_TAG_META:
        if (attribute_is(element, "property", "og:image") ||
            attribute_is(element, "name", "twitter:image")) {
            links.add(attribute(element, "content"));
        }
        break;
    case GUMBO_TAG_LINK:
        if (const auto rel = attribute(element, "rel"); rel && has_token(*rel, "image_src")) {
            links.add(attribute(element, "href"));
        }
        break;
    case GUMBO_TAG_A:
        add_anchor(links, element, resolver);
        break;
    default:
        break;
    }
}

// Calls `visit` on every element under `root` in document order (pre-order), without
// recursion: a page may nest elements deeper than a thread's stack.
template <typename Visit>
void for_each_element(const GumboNode* root, Visit&& visit) {
    std::vector<const GumboNode*> pending{root};
    while (!pending.empty()) {
        const GumboNode* node = pending.back();
        pending.pop_back();
        if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE &&
            node->type != GUMBO_NODE_DOCUMENT) {
            continue;
        }
        const GumboVector& children = node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children
                                                                        : node->v.element.children;
        if (node->type != GUMBO_NODE_DOCUMENT) {
            visit(*node);
        }
        for (unsigned int i = children.length; i > 0; --i) {
            pending.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
        }
    }
}

} // namespace

bool names_image_file(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos) {
        return false;
    }
    static constexpr std::array<std::string_view, 12> k_extensions{
        "jpg", "jpeg", "png", "gif", "webp", "avif", "heic", "bmp", "tif", "tiff", "ico", "svg"};
    const std::string extension = lowered(name.substr(dot + 1));
    for (const std::string_view known : k_extensions) {
        if (extension == known) {
            return true;
        }
    }
    return false;
}

std::vector<PageLink> extract_page_links(std::string_view html, std::string_view page_url) {
    GumboOptions options = kGumboDefaultOptions;
    options.max_errors = 0; // the parse goes on; its error list is not kept
    GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
    if (output == nullptr) {
        return {};
    }
    UrlResolver resolver(page_url);
    bool based = false;
    for_each_element(output->document, [&](const GumboNode& node) {
        if (!based && node.v.element.tag == GUMBO_TAG_BASE) {
            if (const auto href = attribute(node.v.element, "href")) {
                resolver.rebase(*href);
                based = true;
            }
        }
    });
    LinkList links(resolver);
    for_each_element(output->document,
                     [&](const GumboNode& node) { add_element(links, node, resolver); });
    gumbo_destroy_output(&options, output);
    return links.take();
}

} // namespace imgfetch
