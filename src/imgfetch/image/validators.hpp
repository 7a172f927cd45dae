#pragma once

#include <memory>

#include "imgfetch/image/image_validator.hpp"

namespace imgfetch {

// One validator per format, each in its own file (<format>_validator.cpp); make_validator()
// picks among them. Each file's opening comment lists what it checks and what it holds.
std::unique_ptr<ImageValidator> make_jpeg_validator();
std::unique_ptr<ImageValidator> make_png_validator();
std::unique_ptr<ImageValidator> make_gif_validator();
std::unique_ptr<ImageValidator> make_webp_validator();
std::unique_ptr<ImageValidator> make_bmp_validator();
std::unique_ptr<ImageValidator> make_tiff_validator();
// AVIF and HEIC share ISOBMFF; the ftyp box's brands tell them apart (facts().format).
std::unique_ptr<ImageValidator> make_isobmff_validator(ImageFormat format);
std::unique_ptr<ImageValidator> make_ico_validator();
std::unique_ptr<ImageValidator> make_svg_validator();

} // namespace imgfetch
