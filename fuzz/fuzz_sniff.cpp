// libFuzzer target: the content checks run on the first bytes of every response body and on
// the server's Content-Type header. They must never read past their input, and their answers
// must keep their documented shapes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "imgfetch/transfer/content_check.hpp"

namespace {

// An invariant: when it fails, say which one and crash so libFuzzer keeps the input.
// (__builtin_LINE: clang 14 with libstdc++ 12 has no std::source_location.)
void check(bool condition, int line = __builtin_LINE()) {
    if (!condition) {
        std::fprintf(stderr, "%s:%d: invariant failed\n", __FILE__, line);
        std::abort();
    }
}

constexpr std::string_view k_sniffed[] = {"jpg", "png", "gif",  "webp", "bmp",
                                          "tif", "ico", "avif", "heic", "jxl"};

bool is_known(std::string_view extension) {
    return std::find(std::begin(k_sniffed), std::end(k_sniffed), extension) != std::end(k_sniffed);
}

// A copy on the heap of exactly `size` bytes, so ASan catches any read past its end.
std::string_view exact(const std::string& copy) {
    return {copy.data(), copy.size()};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const std::optional<std::string_view> sniffed = imgfetch::sniff_image_extension(input);
    if (sniffed) {
        check(is_known(*sniffed));
        // The first k_sniff_bytes decide, with one allowance: a "mif1" (HEIF) box may list
        // "avif" among its compatible brands beyond them, which later bytes can reveal.
        const std::string head(input.substr(0, imgfetch::k_sniff_bytes));
        const auto from_head = imgfetch::sniff_image_extension(exact(head));
        check(from_head == sniffed || (from_head == "heic" && sniffed == "avif"));
    }
    // Every prefix is sniffed safely (the download sees bodies arrive in pieces).
    for (std::size_t length = 0; length <= std::min(size, imgfetch::k_sniff_bytes); ++length) {
        const std::string prefix(input.substr(0, length));
        const auto partial = imgfetch::sniff_image_extension(exact(prefix));
        check(!partial || is_known(*partial));
    }

    const std::string media_type = imgfetch::media_type_of(input);
    check(media_type.size() <= size);
    check(media_type.find(';') == std::string::npos);
    check(media_type.empty() || (media_type.front() != ' ' && media_type.back() != ' ' &&
                                 media_type.front() != '\t' && media_type.back() != '\t'));
    check(std::none_of(media_type.begin(), media_type.end(),
                       [](char c) { return c >= 'A' && c <= 'Z'; }));
    check(imgfetch::media_type_of(media_type) == media_type); // idempotent
    const bool image = imgfetch::is_image_media_type(input);
    check(image == imgfetch::is_image_media_type(media_type));
    if (const auto extension = imgfetch::extension_for_media_type(input)) {
        check(image);
        check(!extension->empty());
    }

    const bool markup = imgfetch::looks_like_markup(input);
    if (markup) {
        check(input.find('<') != std::string_view::npos);
    }
    return 0;
}
