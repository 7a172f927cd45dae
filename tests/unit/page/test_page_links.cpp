// The image URLs of a page (page/page_links.hpp): every pattern, resolution, order, repeats.
#include "imgfetch/page/page_links.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace imgfetch {
namespace {

std::vector<std::string> page_links_urls(const std::string& html,
                                         const std::string& page = "http://127.0.0.1/g/p.html") {
    std::vector<std::string> urls;
    for (const PageLink& link : extract_page_links(html, page)) {
        urls.push_back(link.url + (link.needs_probe ? " (probe)" : ""));
    }
    return urls;
}

using Urls = std::vector<std::string>;

TEST(PageLinks, FindsEveryPatternInDocumentOrder) {
    const std::string html = R"html(<!doctype html><html><head>
<meta property="og:image" content="/og.jpg">
<meta name="twitter:image" content="tw.png">
<link rel="icon image_src" href="link.gif">
</head><body>
<img src="a.png" srcset="a-small.png 100w, a-big.png 900w">
<img data-src="lazy1.webp" data-srcset="lazy-s.webp 1x, lazy-l.webp 2x">
<img data-original="lazy2.avif"><img data-lazy-src="lazy3.heic">
<picture><source srcset="p-1.jpg 1x, p-2.jpg 2x" type="image/webp"><img src="p.jpg"></picture>
<a href="full.JPEG?size=big"><img src="thumb.jpg"></a>
<a href="/gallery/next">next</a>
</body></html>)html";
    EXPECT_EQ(page_links_urls(html),
              (Urls{"http://127.0.0.1/og.jpg", "http://127.0.0.1/g/tw.png",
                    "http://127.0.0.1/g/link.gif", "http://127.0.0.1/g/a.png",
                    "http://127.0.0.1/g/a-big.png", "http://127.0.0.1/g/lazy1.webp",
                    "http://127.0.0.1/g/lazy-l.webp", "http://127.0.0.1/g/lazy2.avif",
                    "http://127.0.0.1/g/lazy3.heic", "http://127.0.0.1/g/p-2.jpg",
                    "http://127.0.0.1/g/p.jpg", "http://127.0.0.1/g/full.JPEG?size=big",
                    "http://127.0.0.1/g/thumb.jpg", "http://127.0.0.1/gallery/next (probe)"}));
}

TEST(PageLinks, ResolvesDotSegmentsAgainstThePageAndTheFirstBase) {
    EXPECT_EQ(page_links_urls(R"html(<img src="../up.png"><img src="./here/../x.png">)html",
                              "http://127.0.0.1:8080/a/b/page.html?q=1"),
              (Urls{"http://127.0.0.1:8080/a/up.png", "http://127.0.0.1:8080/a/b/x.png"}));
    EXPECT_EQ(page_links_urls(R"html(<html><head><base href="/cdn/v2/"><base href="/ignored/">
</head><body><img src="../i.png"><img src="j.png"><img src="//127.0.0.2/k.png"></body>)html"),
              (Urls{"http://127.0.0.1/cdn/i.png", "http://127.0.0.1/cdn/v2/j.png",
                    "http://127.0.0.2/k.png"}));
    EXPECT_EQ(page_links_urls(R"html(<img src="x.png"><base href="https://127.0.0.3/b/">)html"),
              (Urls{"https://127.0.0.3/b/x.png"}))
        << "a base after the image still is the document's base";
}

TEST(PageLinks, DropsDataUrlsOtherSchemesAndNonUrls) {
    EXPECT_EQ(page_links_urls(R"html(<img src="data:image/gif;base64,R0lGOD" data-src="real.png">
<img src="  DATA:image/png;base64,xx"><a href="mailto:a@b.c">m</a><a href="javascript:void(0)">j</a>
<img src="ftp://127.0.0.1/f.png"><img src=""><img src="http://exa[mple/x.png"><img>)html"),
              (Urls{"http://127.0.0.1/g/real.png"}));
}

TEST(PageLinks, KeepsTheFirstPositionOfARepeatedUrlAndDropsFragments) {
    EXPECT_EQ(page_links_urls(R"html(<a href="x.png">x</a><img src="y.png"><img src="x.png#top">
<img src="/g/y.png"><img srcset="y.png 2x">)html"),
              (Urls{"http://127.0.0.1/g/x.png", "http://127.0.0.1/g/y.png"}));
    EXPECT_EQ(page_links_urls(R"html(<a href="pic">p</a><img src="pic">)html"),
              (Urls{"http://127.0.0.1/g/pic"}))
        << "a probed link also named as an image is an image";
}

TEST(PageLinks, TrimsAndEncodesWhatAUrlCannotHold) {
    EXPECT_EQ(page_links_urls("<img src=\"\n  my pic.png \t\">"),
              (Urls{"http://127.0.0.1/g/my%20pic.png"}));
    EXPECT_EQ(page_links_urls("<img src=\"caf\xc3\xa9.png\">"),
              (Urls{"http://127.0.0.1/g/caf%C3%A9.png"}));
}

TEST(PageLinks, ParsesMalformedHtmlAsABrowserWould) {
    EXPECT_EQ(
        page_links_urls(R"html(<p><img src=a.png <div><img SRC='b.png'/><table><img src="c.png">
<a href=d.gif><img src=e.png ></a><!-- <img src="commented.png"> --><img src="f.png)html"),
        (Urls{"http://127.0.0.1/g/a.png", "http://127.0.0.1/g/b.png", "http://127.0.0.1/g/c.png",
              "http://127.0.0.1/g/d.gif", "http://127.0.0.1/g/e.png"}));
    EXPECT_TRUE(page_links_urls(std::string("\0\xff\xfe<img", 6)).empty());
    EXPECT_TRUE(page_links_urls("").empty());
}

TEST(PageLinks, SurvivesNestingUpToTheCap) {
    // Deeper pages never reach the parser (page_tasks.cpp checks nesting_bound first).
    std::string html;
    for (int i = 0; i < 1000; ++i) {
        html += "<div>";
    }
    html += R"html(<img src="deep.png">)html";
    EXPECT_EQ(page_links_urls(html), (Urls{"http://127.0.0.1/g/deep.png"}));
}

TEST(PageLinks, IgnoresSourcesOutsidePictureAndOtherMetas) {
    EXPECT_EQ(page_links_urls(R"html(<video><source src="v.mp4" srcset="v.jpg"></video>
<meta property="og:title" content="t.png"><meta name="description" content="d.png">
<link rel="stylesheet" href="s.png"><META PROPERTY="OG:IMAGE" CONTENT="og.png">)html"),
              (Urls{"http://127.0.0.1/g/og.png"}));
}

TEST(PageLinks, AnUnusablePageUrlResolvesOnlyAbsoluteOnes) {
    EXPECT_EQ(page_links_urls(R"html(<img src="rel.png"><img src="http://127.0.0.1/abs.png">)html",
                              "not a url"),
              Urls{});
}

TEST(ImageExtension, IsTheLastSegmentsExtensionInAnyCase) {
    for (const char* path : {"/a.jpg", "/a.JPEG", "/x/y.Png", "/a.gif", "/a.webp", "/a.avif",
                             "/a.heic", "/a.bmp", "/a.tif", "/a.TIFF", "/a.ico", "/a.svg"}) {
        EXPECT_TRUE(names_image_file(path)) << path;
    }
    for (const char* path : {"/a.html", "/jpg", "/a.jpg/", "/a.jpg/view", "/x.png.php", ""}) {
        EXPECT_FALSE(names_image_file(path)) << path;
    }
}

} // namespace
} // namespace imgfetch
