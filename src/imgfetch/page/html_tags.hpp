#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace imgfetch {

// One tag of an HTML page, as HTML5's tokenizer reads it.
struct HtmlTag {
    bool is_end = false;        // </name ...>
    std::string name;           // ASCII-lowercased
    bool self_closing = false;  // ends in "/>"
    bool font_breakout = false; // <font> with a color, face or size attribute
};

// The next start or end tag of `html` at or after `pos`, which moves past it; nothing at the
// end of the input or at a tag the input ends inside (HTML5 drops such a tag). Attribute values
// in quotes may hold '>'. Comments, <!DOCTYPE>, <?...> and </ not followed by a letter are
// skipped to their first '>' (never beyond where HTML5 ends them, so no tag HTML5 reads is
// skipped: a caller that must not miss a tag can rely on that). Pure.
std::optional<HtmlTag> next_html_tag(std::string_view html, std::size_t& pos);

// Where the text of a raw-text or RCDATA element (script, style, textarea, title, ...) that
// starts at `pos` ends: the offset of its "</name" end tag (any case, followed by a space, '/'
// or '>'), or npos when the page ends first. HTML5 cannot end the text before that. Pure.
std::size_t raw_text_end(std::string_view html, std::size_t pos, std::string_view name);

} // namespace imgfetch
