#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace imgfetch {

// One image URL a page names, absolute.
struct PageLink {
    std::string url;
    // An <a href> whose path has no image extension: an image only if its first bytes say so
    // (--probe-links); without that option the caller drops these.
    bool needs_probe = false;
};

// Pure: the image URLs of an HTML page, parsed with gumbo (HTML5 parsing, so any bytes are a
// page), in document order and without repeats (the first position of a URL wins; a URL named
// both by a plain <a href> and as an image counts as an image). Per element:
//   <img>:    src, the largest srcset candidate, data-src, data-srcset, data-original,
//             data-lazy-src (in that order);
//   <source> inside <picture>: srcset, data-srcset;
//   <meta property="og:image"> and <meta name="twitter:image">: content;
//   <link rel="image_src">: href;
//   <a href>: an image when its path ends in an image extension (jpg jpeg png gif webp avif
//             heic bmp tif tiff ico svg, any case; the query does not count), else needs_probe.
// URLs resolve against the first <base href> (itself resolved against `page_url`) or else
// `page_url` (the page's final URL, after redirects); data: URLs, other schemes than http and
// https, and text that is no URL are dropped; fragments are removed. Thread-safe (no shared
// state).
std::vector<PageLink> extract_page_links(std::string_view html, std::string_view page_url);

// Pure: true when a URL path's last segment ends in one of the image extensions above.
bool names_image_file(std::string_view path);

} // namespace imgfetch
