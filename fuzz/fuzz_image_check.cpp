// libFuzzer target: the image structure checks see every byte of every body. They must never
// read past their input, never hang, give the same verdict however the body is chunked, and
// keep their answers' documented shapes (an SVG's reason may name another error of the same
// document). Each input also goes to one validator directly (picked
// by its length), so every format's walker meets every other format's bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imgfetch/image/structure_check.hpp"

namespace {

// An invariant: when it fails, say which one and crash so libFuzzer keeps the input.
void check(bool condition, int line = __builtin_LINE()) {
    if (!condition) {
        std::fprintf(stderr, "%s:%d: invariant failed\n", __FILE__, line);
        std::abort();
    }
}

// Fed in pieces of `piece` bytes, each a heap copy of exactly its size (ASan sees overreads).
imgfetch::ImageCheck run(imgfetch::ImageValidator& validator, std::string_view input,
                         std::size_t piece) {
    for (std::size_t at = 0; at < input.size(); at += piece) {
        const std::string copy(input.substr(at, piece));
        validator.feed(copy);
    }
    return validator.finish();
}

void check_shape(const imgfetch::ImageCheck& result) {
    check(result.ok() == result.message().empty());
    const bool damaged = result.verdict == imgfetch::ImageVerdict::truncated ||
                         result.verdict == imgfetch::ImageVerdict::corrupt;
    check(damaged == !result.reason.empty());
    if (result.ok()) {
        check(result.facts.format.has_value());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    imgfetch::StructureCheck whole;
    const imgfetch::ImageCheck expected = run(whole, input, input.size() + 1);
    check_shape(expected);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{7}}) {
        imgfetch::StructureCheck chunked;
        const imgfetch::ImageCheck result = run(chunked, input, piece);
        check(result.verdict == expected.verdict);
        // expat may name another error of the same bad document when a token spans pieces.
        check(result.reason == expected.reason ||
              expected.facts.format == imgfetch::ImageFormat::svg);
        check(result.facts.width == expected.facts.width);
        check(result.facts.height == expected.facts.height);
        check(result.facts.frames == expected.facts.frames);
    }

    const auto format = static_cast<imgfetch::ImageFormat>(size % 10);
    const auto direct = imgfetch::make_validator(format);
    check(direct != nullptr);
    const imgfetch::ImageCheck result = run(*direct, input, 13);
    check_shape(result);
    check(result.verdict != imgfetch::ImageVerdict::unknown_format);
    return 0;
}
