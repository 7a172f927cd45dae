// How deep a page nests (page/nesting_bound.hpp): a bound from above of what gumbo builds,
// close on real pages, and reached early on hostile ones.
#include "imgfetch/page/nesting_bound.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/gumbo_depth.hpp"

namespace imgfetch {
namespace {

std::string repeated(const std::string& piece, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) {
        out += piece;
    }
    return out;
}

// The bound holds for `html`, and is at most `slack` above gumbo's own depth.
void expect_tight_bound(const std::string& html, std::size_t slack) {
    const std::size_t real = test::gumbo_tree_depth(html);
    const std::size_t bound = nesting_bound(html, 100000);
    EXPECT_GE(bound, real) << html.substr(0, 200);
    EXPECT_LE(bound, real + slack) << html.substr(0, 200);
}

TEST(NestingBound, AnOrdinaryPageIsBoundedCloseToItsRealDepth) {
    const std::string row = "<tr><td><a href=x.jpg><img src=x.jpg></a><td>text<br>more</tr>";
    const std::string item = "<li><p>para<p>another <b>bold</b> <i>it</i><li>next";
    const std::string page =
        "<!doctype html><html><head><title>a <b> title</title>"
        "<script>if (a < b && '<div>') {}</script><style>div>p{}</style>"
        "</head><body><div class=\"a>b\"><!-- <div><div> -->" +
        repeated("<table>" + repeated(row, 20) + "</table>", 30) + "<ul>" + repeated(item, 200) +
        "</ul>" + repeated("<svg viewBox='0 0 1 1'><path d='M0'/><g/></svg>", 300) +
        repeated("<select><option>a<option>b</select>", 50) + "</div></body></html>";
    expect_tight_bound(page, 12);
    EXPECT_LE(nesting_bound(page), 20U);
}

TEST(NestingBound, UnclosedParagraphsListItemsAndCellsDoNotAddUp) {
    expect_tight_bound(repeated("<p>text", 5000), 6);
    expect_tight_bound("<ul>" + repeated("<li>item", 5000), 6);
    expect_tight_bound("<table>" + repeated("<tr><td>a<td>b", 5000), 6);
    expect_tight_bound(repeated("<div><p>text</div>", 5000), 6);
    expect_tight_bound("<dl>" + repeated("<dt>t<dd>d", 5000), 6);
    expect_tight_bound(repeated("<h1>a<h2>b", 3000), 6);
}

TEST(NestingBound, DeepNestingOfEveryKindIsCountedInFull) {
    for (const std::string piece : {"<div>", "<span>", "<li><ul>", "<b id=1>", "<i><p>", "<svg><g>",
                                    "<span><div></span>", "<table><tr><td>", "<form><div></form>",
                                    "<svg><foreignObject><div/>", "<x/>", "<p><b>", "<a><div>"}) {
        const std::string html = repeated(piece, 300);
        const std::size_t real = test::gumbo_tree_depth(html);
        EXPECT_GE(nesting_bound(html, 100000), real) << piece;
    }
}

TEST(NestingBound, RawTextAndCommentsHideNoTags) {
    // The tags inside are text to HTML5: counting them would only err high, but the text ends
    // where HTML5 ends it, so the divs after it count.
    const std::string html = "<script><div><div></script>" + repeated("<div>", 50) +
                             "<textarea></textarea x><div>" + "<!-- > -->" + "<div>";
    expect_tight_bound(html, 6);
    EXPECT_GE(nesting_bound(html), 52U);
}

TEST(NestingBound, StopsReadingOnceTheCapIsPassed) {
    const std::string hostile = repeated("<div>", 1'000'000);
    EXPECT_EQ(nesting_bound(hostile, 1024), 1025U);
    EXPECT_GT(nesting_bound(hostile), k_max_page_nesting);
}

TEST(NestingBound, AnUnfinishedTagAtTheEndIsDropped) {
    EXPECT_EQ(nesting_bound("<div><div title=\"never closed>"), nesting_bound("<div>"));
    EXPECT_EQ(nesting_bound(""), 4U);
}

} // namespace
} // namespace imgfetch
