#pragma once

// The element sets of the HTML standard's tree builder (13.2.4, 13.2.6) that nesting_bound()
// follows. Names are ASCII-lowercase, as the tokenizer gives them.

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace imgfetch::html_elements {

template <std::size_t N>
bool is_one_of(const std::string& name, const std::array<std::string_view, N>& names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

inline constexpr std::array<std::string_view, 17> k_void{
    "area",  "base", "basefont", "bgsound", "br",   "col",  "embed", "frame", "hr",
    "image", "img",  "input",    "keygen",  "link", "meta", "param", "source"};
inline constexpr std::array<std::string_view, 14> k_formatting{
    "a",    "b", "big",   "code",   "em",     "font", "i",
    "nobr", "s", "small", "strike", "strong", "tt",   "u"};
// Elements that put a marker in the list of active formatting elements.
inline constexpr std::array<std::string_view, 7> k_markers{"applet", "caption", "marquee", "object",
                                                           "td",     "th",      "template"};
// "Has an element in scope" stops at these (HTML's and the foreign integration points).
inline constexpr std::array<std::string_view, 18> k_scope{
    "applet",         "caption",       "html", "table", "td", "th", "marquee",
    "object",         "template",      "mi",   "mo",    "mn", "ms", "mtext",
    "annotation-xml", "foreignobject", "desc", "title"};
inline constexpr std::array<std::string_view, 6> k_headings{"h1", "h2", "h3", "h4", "h5", "h6"};
// The "special" category, plus the foreign integration points.
inline constexpr std::array<std::string_view, 88> k_special{
    "address",    "applet",   "area",     "article",
    "aside",      "base",     "basefont", "bgsound",
    "blockquote", "body",     "br",       "button",
    "caption",    "center",   "col",      "colgroup",
    "dd",         "details",  "dir",      "div",
    "dl",         "dt",       "embed",    "fieldset",
    "figcaption", "figure",   "footer",   "form",
    "frame",      "frameset", "h1",       "h2",
    "h3",         "h4",       "h5",       "h6",
    "head",       "header",   "hgroup",   "hr",
    "html",       "iframe",   "img",      "input",
    "keygen",     "li",       "link",     "listing",
    "main",       "marquee",  "menu",     "meta",
    "nav",        "noembed",  "noframes", "noscript",
    "object",     "ol",       "p",        "param",
    "plaintext",  "pre",      "script",   "section",
    "select",     "source",   "style",    "summary",
    "table",      "tbody",    "td",       "template",
    "textarea",   "tfoot",    "th",       "thead",
    "title",      "tr",       "track",    "ul",
    "wbr",        "xmp",      "mi",       "mo",
    "mn",         "ms",       "mtext",    "annotation-xml"};
// Start tags that close an open <p> in button scope.
inline constexpr std::array<std::string_view, 36> k_closes_p{
    "address", "article", "aside",    "blockquote", "center", "details", "dialog",  "dir",
    "div",     "dl",      "fieldset", "figcaption", "figure", "footer",  "header",  "hgroup",
    "main",    "menu",    "nav",      "ol",         "p",      "section", "summary", "ul",
    "h1",      "h2",      "h3",       "h4",         "h5",     "h6",      "pre",     "listing",
    "form",    "li",      "dd",       "dt"};
// Start tags that end foreign content (and <font> with color, face or size).
inline constexpr std::array<std::string_view, 44> k_breakout{
    "b",      "big",  "blockquote", "body",  "br",   "center", "code",    "dd",   "div",
    "dl",     "dt",   "em",         "embed", "h1",   "h2",     "h3",      "h4",   "h5",
    "h6",     "head", "hr",         "i",     "img",  "li",     "listing", "menu", "meta",
    "nobr",   "ol",   "p",          "pre",   "ruby", "s",      "small",   "span", "strong",
    "strike", "sub",  "sup",        "table", "tt",   "u",      "ul",      "var"};
inline constexpr std::array<std::string_view, 8> k_raw_text{
    "script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"};
inline constexpr std::array<std::string_view, 9> k_integration_points{
    "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "foreignobject", "desc", "title"};

inline constexpr std::array<std::string_view, 2> k_list_items{"dd", "dt"};

// The scopes an end tag or an implied end looks through (13.2.4.2).
enum Scope : std::size_t {
    scope_default,
    scope_button,
    scope_list,
    scope_table,
    scope_special,
    scope_li_stop,
    scope_count
};

// Whether element `name` (in a foreign namespace or not) stops a search of the stack in `scope`.
inline bool stops(Scope scope, const std::string& name, bool foreign) {
    const bool in_scope_set =
        is_one_of(name, k_scope) && (foreign || !is_one_of(name, k_integration_points));
    switch (scope) {
    case scope_default:
        return in_scope_set;
    case scope_button:
        return in_scope_set || name == "button";
    case scope_list:
        return in_scope_set || name == "ol" || name == "ul";
    case scope_table:
        return name == "html" || name == "table" || name == "template";
    case scope_special:
        return is_one_of(name, k_special);
    case scope_li_stop:
        return is_one_of(name, k_special) && name != "address" && name != "div" && name != "p";
    default:
        return false;
    }
}

} // namespace imgfetch::html_elements
