#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "imgfetch/image/image_validator.hpp"

namespace imgfetch {

// Bytes of a body's start that detect_image_format() needs to decide.
inline constexpr std::size_t k_detect_bytes = 16;

// Pure: the format a body's first bytes announce, or nothing. With fewer than k_detect_bytes
// (a whole body that short) a prefix of a format's signature counts as that format, so its
// validator can call it truncated. SVG: optional UTF-8 BOM and whitespace, then '<' (the XML
// parser then insists on an svg root).
std::optional<ImageFormat> detect_image_format(std::string_view head);

// The structure check of one body whatever its format (--verify structure): keeps the first
// k_detect_bytes, then hands everything to the format's validator. finish() says
// unknown_format when no validator knows the body. One per transfer; not thread-safe.
class StructureCheck final : public ImageValidator {
public:
    StructureCheck() = default;
    void feed(std::string_view chunk) override;
    ImageCheck finish() override;
    const ImageFacts& facts() const override;

private:
    void choose(bool whole_body);

    std::array<char, k_detect_bytes> m_head{};
    std::size_t m_head_size = 0;
    bool m_chosen = false;
    std::unique_ptr<ImageValidator> m_validator; // empty until chosen, and for unknown formats
    ImageFacts m_no_facts;
};

} // namespace imgfetch
