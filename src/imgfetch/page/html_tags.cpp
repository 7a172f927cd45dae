// A tokenizer of just the tags, for nesting_bound(): no text, no attribute values kept.
#include "imgfetch/page/html_tags.hpp"

namespace imgfetch {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lowered(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = lowered(c);
    }
    return out;
}

// Reads the attributes of a tag from `i` to its '>'. False when the input ends first.
bool read_attributes(std::string_view html, std::size_t& i, HtmlTag& tag) {
    const std::size_t size = html.size();
    while (true) {
        while (i < size && is_space(html[i])) {
            ++i;
        }
        if (i >= size) {
            return false;
        }
        if (html[i] == '>') {
            ++i;
            return true;
        }
        if (html[i] == '/') {
            tag.self_closing = i + 1 < size && html[i + 1] == '>';
            i += tag.self_closing ? 2 : 1;
            if (tag.self_closing) {
                return true;
            }
            continue;
        }
        // An attribute name: its first character may be '=' (HTML5 reads it as part of it).
        const std::size_t start = i++;
        while (i < size && !is_space(html[i]) && html[i] != '/' && html[i] != '>' &&
               html[i] != '=') {
            ++i;
        }
        const std::string name = lowered(html.substr(start, i - start));
        if (tag.name == "font" && (name == "color" || name == "face" || name == "size")) {
            tag.font_breakout = true;
        }
        while (i < size && is_space(html[i])) {
            ++i;
        }
        if (i >= size) {
            return false;
        }
        if (html[i] != '=') {
            continue; // another attribute, '/' or '>'
        }
        ++i;
        while (i < size && is_space(html[i])) {
            ++i;
        }
        if (i >= size) {
            return false;
        }
        if (html[i] == '"' || html[i] == '\'') {
            const std::size_t close = html.find(html[i], i + 1);
            if (close == std::string_view::npos) {
                return false;
            }
            i = close + 1;
        } else {
            while (i < size && !is_space(html[i]) && html[i] != '>') {
                ++i; // an unquoted value; a '>' right after '=' ends the tag instead
            }
        }
    }
}

// The tag whose name starts at `i`. Nothing when the input ends inside it.
std::optional<HtmlTag> read_tag(std::string_view html, std::size_t& i, bool is_end) {
    HtmlTag tag;
    tag.is_end = is_end;
    const std::size_t start = i;
    while (i < html.size() && !is_space(html[i]) && html[i] != '/' && html[i] != '>') {
        ++i;
    }
    tag.name = lowered(html.substr(start, i - start));
    if (!read_attributes(html, i, tag)) {
        return std::nullopt;
    }
    return tag;
}

} // namespace

std::optional<HtmlTag> next_html_tag(std::string_view html, std::size_t& pos) {
    const std::size_t size = html.size();
    while (true) {
        const std::size_t open = html.find('<', pos);
        if (open == std::string_view::npos || open + 1 >= size) {
            pos = size;
            return std::nullopt;
        }
        std::size_t i = open + 1;
        const char c = html[i];
        if (is_letter(c)) {
            std::optional<HtmlTag> tag = read_tag(html, i, false);
            pos = tag ? i : size;
            return tag;
        }
        if (c == '/' && i + 1 < size && is_letter(html[i + 1])) {
            ++i;
            std::optional<HtmlTag> tag = read_tag(html, i, true);
            pos = tag ? i : size;
            return tag;
        }
        if (c == '!' || c == '?' || c == '/') {
            // A comment, doctype, bogus comment or CDATA section: HTML5 ends each at a '>',
            // the first one at the earliest.
            const std::size_t close = html.find('>', i);
            if (close == std::string_view::npos) {
                pos = size;
                return std::nullopt;
            }
            pos = close + 1;
            continue;
        }
        pos = i; // a '<' in text
    }
}

std::size_t raw_text_end(std::string_view html, std::size_t pos, std::string_view name) {
    while (true) {
        const std::size_t open = html.find("</", pos);
        if (open == std::string_view::npos) {
            return std::string_view::npos;
        }
        const std::size_t after = open + 2 + name.size();
        bool same = after < html.size();
        for (std::size_t k = 0; same && k < name.size(); ++k) {
            same = lowered(html[open + 2 + k]) == name[k];
        }
        if (same && (is_space(html[after]) || html[after] == '/' || html[after] == '>')) {
            return open;
        }
        pos = open + 2;
    }
}

} // namespace imgfetch
