// A model of HTML5's tree builder reduced to one question: how deep can its stack of open
// elements get? Each rule here either follows the tree builder exactly or keeps more open than
// it does, so the answer is a bound from above (fuzz/fuzz_page_links.cpp checks it against
// gumbo's tree). The element sets are the HTML standard's (13.2.4 and 13.2.6).
#include "imgfetch/page/nesting_bound.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "imgfetch/page/html_elements.hpp"
#include "imgfetch/page/html_tags.hpp"

namespace imgfetch {

namespace {

using namespace html_elements; // NOLINT(google-build-using-namespace): the sets read as names

class NestingModel {
public:
    explicit NestingModel(std::size_t stop_above) : m_stop_above(stop_above) {}

    bool over() const { return m_max > m_stop_above; }
    std::size_t max() const { return m_max; }
    bool foreign_context() const { return !m_stack.empty() && m_stack.back().foreign_children; }
    bool top_is(std::string_view name) const {
        return !m_stack.empty() && m_stack.back().name == name;
    }

    void start_tag(const HtmlTag& tag);
    void end_tag(const std::string& name);

private:
    struct Open {
        std::string name;
        bool foreign = false;
        bool foreign_children = false;
        // Per scope: 1 + the index of the nearest element at or below this one that stops it
        // (0: none).
        std::array<std::size_t, scope_count> stop{};
    };

    void start_html_tag(const HtmlTag& tag);
    void push(const std::string& name, bool foreign, bool foreign_children);
    void pop();
    void pop_to(std::size_t index);
    bool close_in(const std::string& name, Scope scope);
    void close_last_formatting(const std::string& name);
    bool active_after_marker(const std::string& name) const;
    template <std::size_t N>
    std::string nearest_of(const std::array<std::string_view, N>& names) const;
    void note_depth();

    std::size_t m_stop_above;
    std::size_t m_max = 0;
    std::vector<Open> m_stack;
    std::unordered_map<std::string, std::vector<std::size_t>> m_positions; // name -> indexes
    std::vector<std::string> m_formatting; // the active formatting list; "" = a marker
    std::size_t m_formatting_entries = 0;  // its entries that are not markers
};

void NestingModel::note_depth() {
    // <html> and <body>, plus two for elements the tree builder inserts and pops again at once
    // (a <colgroup> for a bare <col>, <isindex>'s form and label).
    m_max = std::max(m_max, 4 + m_stack.size() + m_formatting_entries);
}

void NestingModel::push(const std::string& name, bool foreign, bool foreign_children) {
    Open open{name, foreign, foreign_children, {}};
    const std::size_t index = m_stack.size();
    for (std::size_t s = 0; s < scope_count; ++s) {
        open.stop[s] = stops(static_cast<Scope>(s), name, foreign) ? index + 1
                       : m_stack.empty()                           ? 0
                                                                   : m_stack.back().stop[s];
    }
    m_stack.push_back(std::move(open));
    m_positions[name].push_back(index);
    note_depth();
}

void NestingModel::pop() {
    const Open& top = m_stack.back();
    m_positions[top.name].pop_back();
    if (!top.foreign && is_one_of(top.name, k_markers)) {
        // Closing a marker element clears the formatting list back to its marker.
        while (!m_formatting.empty()) {
            const bool marker = m_formatting.back().empty();
            m_formatting_entries -= marker ? 0 : 1;
            m_formatting.pop_back();
            if (marker) {
                break;
            }
        }
    }
    m_stack.pop_back();
}

void NestingModel::pop_to(std::size_t index) {
    while (m_stack.size() > index) {
        pop();
    }
}

// Closes the last open `name` (and everything above it) when no element that stops `scope`
// lies above it. Returns whether it did.
bool NestingModel::close_in(const std::string& name, Scope scope) {
    const auto found = m_positions.find(name);
    if (found == m_positions.end() || found->second.empty()) {
        return false;
    }
    const std::size_t index = found->second.back();
    const std::size_t stop = m_stack.back().stop[scope];
    if (stop != 0 && stop - 1 > index) {
        return false;
    }
    pop_to(index);
    return true;
}

bool NestingModel::active_after_marker(const std::string& name) const {
    for (auto entry = m_formatting.rbegin(); entry != m_formatting.rend() && !entry->empty();
         ++entry) {
        if (*entry == name) {
            return true;
        }
    }
    return false;
}

// Of `names`, the one open nearest the top of the stack ("" when none is open).
template <std::size_t N>
std::string NestingModel::nearest_of(const std::array<std::string_view, N>& names) const {
    std::string nearest;
    std::size_t nearest_index = 0;
    for (const std::string_view name : names) {
        const auto found = m_positions.find(std::string(name));
        if (found != m_positions.end() && !found->second.empty() &&
            (nearest.empty() || found->second.back() > nearest_index)) {
            nearest = name;
            nearest_index = found->second.back();
        }
    }
    return nearest;
}

void NestingModel::close_last_formatting(const std::string& name) {
    for (std::size_t i = m_formatting.size(); i > 0; --i) {
        if (m_formatting[i - 1].empty()) {
            break; // entries before the last marker are out of reach
        }
        if (m_formatting[i - 1] == name) {
            m_formatting.erase(m_formatting.begin() + static_cast<std::ptrdiff_t>(i - 1));
            --m_formatting_entries;
            return;
        }
    }
    close_in(name, scope_special); // not active: "any other end tag" (a foreign <a>, say)
}

void NestingModel::start_tag(const HtmlTag& tag) {
    if (foreign_context()) {
        if (!is_one_of(tag.name, k_breakout) && !tag.font_breakout) {
            if (!tag.self_closing) { // a foreign element honours "/>"
                push(tag.name, true, !is_one_of(tag.name, k_integration_points));
            }
            return;
        }
        while (foreign_context()) {
            pop(); // an HTML tag ends foreign content
        }
    }
    start_html_tag(tag);
}

void NestingModel::start_html_tag(const HtmlTag& tag) {
    const std::string& name = tag.name;
    if (name == "html" || name == "head" || name == "body") {
        return; // counted already; a second one only adds attributes
    }
    if (name == "svg" || name == "math") {
        if (!tag.self_closing) {
            push(name, true, true);
        }
        return;
    }
    if (is_one_of(name, k_closes_p)) {
        close_in("p", scope_button);
    }
    if (name == "li") {
        close_in("li", scope_li_stop);
    } else if (name == "dd" || name == "dt") {
        close_in(nearest_of(k_list_items), scope_li_stop);
    } else if ((is_one_of(name, k_headings) && !m_stack.empty() &&
                is_one_of(m_stack.back().name, k_headings)) ||
               (name == "option" && top_is("option"))) {
        pop(); // a heading ends the heading at the top; an option, the option
    } else if (name == "tr" || name == "td" || name == "th") {
        if (top_is("td") || top_is("th")) {
            pop(); // a new cell or row ends the cell
        }
        if (name == "tr" && top_is("tr")) {
            pop();
        }
        if (top_is("table")) {
            push("tbody", false, false);
        }
        if (name != "tr" && (top_is("tbody") || top_is("thead") || top_is("tfoot"))) {
            push("tr", false, false);
        }
    }
    if (is_one_of(name, k_void)) {
        return;
    }
    if (is_one_of(name, k_formatting)) {
        const bool replaces = (name == "a" || name == "nobr") && active_after_marker(name);
        if (!replaces) { // a second <a> closes the first
            m_formatting.push_back(name);
            ++m_formatting_entries;
        }
        note_depth();
        return;
    }
    push(name, false, false);
    if (is_one_of(name, k_markers)) {
        m_formatting.emplace_back(); // a marker
    }
}

void NestingModel::end_tag(const std::string& name) {
    if (name == "html" || name == "head" || name == "body" || name == "br" || name == "form") {
        return; // none pops the stack here (</form> takes the form out from under the rest)
    }
    if (is_one_of(name, k_formatting)) {
        close_last_formatting(name);
    } else if (name == "p") {
        close_in(name, scope_button);
    } else if (name == "li") {
        close_in(name, scope_list);
    } else if (is_one_of(name, k_headings)) {
        close_in(nearest_of(k_headings), scope_default); // any level ends the nearest
    } else if (name == "colgroup") {
        if (top_is(name)) {
            pop();
        }
    } else if (name == "select") { // select scope: only option and optgroup may be above it
        while (top_is("option") || top_is("optgroup")) {
            pop();
        }
        if (top_is(name)) {
            pop();
        }
    } else if (name == "table" || name == "tbody" || name == "thead" || name == "tfoot" ||
               name == "tr" || name == "td" || name == "th" || name == "caption") {
        close_in(name, scope_table);
    } else if (is_one_of(name, k_special)) {
        close_in(name, scope_default);
    } else {
        close_in(name, scope_special);
    }
}

} // namespace

std::size_t nesting_bound(std::string_view html, std::size_t stop_above) {
    NestingModel model(stop_above);
    std::size_t pos = 0;
    while (!model.over()) {
        const std::optional<HtmlTag> tag = next_html_tag(html, pos);
        if (!tag) {
            break;
        }
        if (tag->is_end) {
            model.end_tag(tag->name);
            continue;
        }
        const bool html_element =
            !model.foreign_context() || is_one_of(tag->name, k_breakout) || tag->font_breakout;
        model.start_tag(*tag);
        if (html_element && tag->name == "plaintext") {
            break; // the rest of the page is text
        }
        if (html_element && is_one_of(tag->name, k_raw_text)) {
            pos = raw_text_end(html, pos, tag->name);
            if (pos == std::string_view::npos) {
                break;
            }
        }
    }
    return std::max<std::size_t>(model.max(), 4);
}

} // namespace imgfetch
