#include "imgfetch/image/image_check.hpp"

#include <algorithm>
#include <cctype>

namespace imgfetch {

std::string_view format_name(ImageFormat format) {
    switch (format) {
    case ImageFormat::jpeg:
        return "jpeg";
    case ImageFormat::png:
        return "png";
    case ImageFormat::gif:
        return "gif";
    case ImageFormat::webp:
        return "webp";
    case ImageFormat::avif:
        return "avif";
    case ImageFormat::heic:
        return "heic";
    case ImageFormat::bmp:
        return "bmp";
    case ImageFormat::tiff:
        return "tiff";
    case ImageFormat::ico:
        return "ico";
    case ImageFormat::svg:
        return "svg";
    }
    return "unknown";
}

std::string ImageCheck::message() const {
    std::string label = facts.format ? std::string(format_name(*facts.format)) : "image";
    std::transform(label.begin(), label.end(), label.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    switch (verdict) {
    case ImageVerdict::ok:
        return {};
    case ImageVerdict::truncated:
        return "truncated image (" + label + ": " + reason + ")";
    case ImageVerdict::corrupt:
        return "corrupt image (" + label + ": " + reason + ")";
    case ImageVerdict::unknown_format:
        return "not a known image format";
    }
    return {};
}

} // namespace imgfetch
