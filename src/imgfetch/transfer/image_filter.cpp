#include "imgfetch/transfer/image_filter.hpp"

#include <algorithm>
#include <array>

namespace imgfetch {

namespace {

constexpr std::array<ImageFormat, 10> k_formats{
    ImageFormat::jpeg, ImageFormat::png, ImageFormat::gif,  ImageFormat::webp, ImageFormat::avif,
    ImageFormat::heic, ImageFormat::bmp, ImageFormat::tiff, ImageFormat::ico,  ImageFormat::svg};

bool listed(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

} // namespace

bool filters_need_facts(const ImageFilters& filters) {
    return filters.min_width != 0 || filters.min_height != 0 || filters.min_pixels != 0 ||
           filters.max_pixels != 0 || !filters.types.empty() || !filters.reject_types.empty();
}

std::optional<std::string> type_filter_reason(const ImageFilters& filters,
                                              std::optional<ImageFormat> format) {
    if (!format) {
        if (filters.types.empty()) {
            return std::nullopt;
        }
        return std::string("not a checked image format, not in --types");
    }
    const std::string name(format_name(*format));
    if (listed(filters.reject_types, name)) {
        return "type " + name + " rejected by --reject-types";
    }
    if (!filters.types.empty() && !listed(filters.types, name)) {
        return "type " + name + " not in --types";
    }
    return std::nullopt;
}

std::optional<std::string> dimension_filter_reason(const ImageFilters& filters, std::uint32_t width,
                                                   std::uint32_t height) {
    const std::uint64_t pixels = std::uint64_t{width} * height;
    if (filters.min_width != 0 && width < filters.min_width) {
        return "width " + std::to_string(width) + " < --min-width " +
               std::to_string(filters.min_width);
    }
    if (filters.min_height != 0 && height < filters.min_height) {
        return "height " + std::to_string(height) + " < --min-height " +
               std::to_string(filters.min_height);
    }
    if (filters.min_pixels != 0 && pixels < filters.min_pixels) {
        return "pixels " + std::to_string(pixels) + " < --min-pixels " +
               std::to_string(filters.min_pixels);
    }
    if (filters.max_pixels != 0 && pixels > filters.max_pixels) {
        return "pixels " + std::to_string(pixels) + " > --max-pixels " +
               std::to_string(filters.max_pixels);
    }
    return std::nullopt;
}

std::optional<std::string> size_filter_reason(const ImageFilters& filters, std::uint64_t size) {
    if (filters.min_size != 0 && size < filters.min_size) {
        return "size " + std::to_string(size) + " bytes < --min-size " +
               std::to_string(filters.min_size) + " bytes";
    }
    return std::nullopt;
}

std::optional<std::string> unknown_type_name(std::string_view name) {
    const bool known = std::any_of(k_formats.begin(), k_formats.end(), [name](ImageFormat format) {
        return format_name(format) == name;
    });
    return known ? std::nullopt : std::optional<std::string>(name);
}

} // namespace imgfetch
