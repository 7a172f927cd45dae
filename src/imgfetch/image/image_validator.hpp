#pragma once

#include <memory>
#include <string_view>

#include "imgfetch/image/image_check.hpp"

namespace imgfetch {

// A streaming structure check of one image body: fed the body's bytes in order, in chunks of
// any size (including empty), then finish() once. It never decodes pixels and holds O(1) memory
// whatever the body's size (each format's file says what it keeps). After the first error it
// ignores further input. One per transfer; not thread-safe (one thread feeds it).
class ImageValidator {
public:
    virtual ~ImageValidator() = default;
    ImageValidator() = default;
    ImageValidator(const ImageValidator&) = delete;
    ImageValidator& operator=(const ImageValidator&) = delete;

    virtual void feed(std::string_view chunk) = 0;
    // The verdict on everything fed; call once, after the last feed().
    virtual ImageCheck finish() = 0;
    // What the headers seen so far say (dimensions as soon as they have arrived), so a caller
    // may decide before the body ends.
    virtual const ImageFacts& facts() const = 0;
};

// One validator per format (jpeg_validator.cpp, png_validator.cpp, ...).
std::unique_ptr<ImageValidator> make_validator(ImageFormat format);

} // namespace imgfetch
