// The image filters' pure decisions (transfer/image_filter.hpp): each filter's reason text, the
// boundaries (equal passes), and what an unknown format or an unfiltered run gives.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "imgfetch/transfer/image_filter.hpp"

namespace imgfetch {
namespace {

TEST(ImageFilter, NoFilterSaysNothingAndNeedsNoFacts) {
    const ImageFilters none;
    EXPECT_FALSE(filters_need_facts(none));
    EXPECT_EQ(type_filter_reason(none, ImageFormat::gif), std::nullopt);
    EXPECT_EQ(type_filter_reason(none, std::nullopt), std::nullopt);
    EXPECT_EQ(dimension_filter_reason(none, 1, 1), std::nullopt);
    EXPECT_EQ(size_filter_reason(none, 0), std::nullopt);
}

TEST(ImageFilter, MinSizeAloneNeedsNoFacts) {
    ImageFilters filters;
    filters.min_size = 10;
    EXPECT_FALSE(filters_need_facts(filters));
    EXPECT_EQ(size_filter_reason(filters, 9), "size 9 bytes < --min-size 10 bytes");
    EXPECT_EQ(size_filter_reason(filters, 10), std::nullopt);
}

TEST(ImageFilter, DimensionsAtTheLimitPassAndBelowItSayWhich) {
    ImageFilters filters;
    filters.min_width = 200;
    filters.min_height = 100;
    EXPECT_TRUE(filters_need_facts(filters));
    EXPECT_EQ(dimension_filter_reason(filters, 200, 100), std::nullopt);
    EXPECT_EQ(dimension_filter_reason(filters, 120, 100), "width 120 < --min-width 200");
    EXPECT_EQ(dimension_filter_reason(filters, 200, 99), "height 99 < --min-height 100");
}

TEST(ImageFilter, PixelsAreCountedWithoutOverflow) {
    ImageFilters filters;
    filters.max_pixels = 100'000'000;
    EXPECT_EQ(dimension_filter_reason(filters, 4'000'000'000U, 4'000'000'000U),
              "pixels 16000000000000000000 > --max-pixels 100000000");
    EXPECT_EQ(dimension_filter_reason(filters, 10'000, 10'000), std::nullopt);
    filters.min_pixels = 50;
    EXPECT_EQ(dimension_filter_reason(filters, 7, 7), "pixels 49 < --min-pixels 50");
}

TEST(ImageFilter, TypesByFormatNameAndAnUnknownFormatFailsOnlyTypes) {
    ImageFilters filters;
    filters.reject_types = {"gif", "svg"};
    EXPECT_EQ(type_filter_reason(filters, ImageFormat::gif), "type gif rejected by --reject-types");
    EXPECT_EQ(type_filter_reason(filters, ImageFormat::png), std::nullopt);
    EXPECT_EQ(type_filter_reason(filters, std::nullopt), std::nullopt);
    filters.types = {"png", "jpeg"};
    EXPECT_EQ(type_filter_reason(filters, ImageFormat::webp), "type webp not in --types");
    EXPECT_EQ(type_filter_reason(filters, ImageFormat::jpeg), std::nullopt);
    EXPECT_EQ(type_filter_reason(filters, std::nullopt),
              "not a checked image format, not in --types");
}

TEST(ImageFilter, KnowsEveryFormatNameAndNoOther) {
    for (const char* name :
         {"jpeg", "png", "gif", "webp", "avif", "heic", "bmp", "tiff", "ico", "svg"}) {
        EXPECT_EQ(unknown_type_name(name), std::nullopt) << name;
    }
    EXPECT_EQ(unknown_type_name("jxl"), "jxl");
    EXPECT_EQ(unknown_type_name("jpg"), "jpg");
    EXPECT_EQ(unknown_type_name(""), "");
}

} // namespace
} // namespace imgfetch
