// srcset candidates (page/srcset.hpp): the largest by width, else by density.
#include "imgfetch/page/srcset.hpp"

#include <gtest/gtest.h>

namespace imgfetch {
namespace {

TEST(Srcset, PicksTheWidestCandidate) {
    EXPECT_EQ(largest_srcset_candidate("a.jpg 320w, b.jpg 1280w, c.jpg 640w"), "b.jpg");
    EXPECT_EQ(largest_srcset_candidate("  a.jpg   320w ,\n b.jpg\t1280w  "), "b.jpg");
}

TEST(Srcset, PicksTheDensestWhenNoWidthIsGiven) {
    EXPECT_EQ(largest_srcset_candidate("a.jpg, b.jpg 3x, c.jpg 2x"), "b.jpg");
    EXPECT_EQ(largest_srcset_candidate("a.jpg 0.5x, b.jpg"), "b.jpg") << "none written is 1x";
    EXPECT_EQ(largest_srcset_candidate("a.jpg 1.5x, b.jpg 1.25x"), "a.jpg");
}

TEST(Srcset, KeepsCommasInsideUrlsAndEndsAUrlAtTrailingCommas) {
    EXPECT_EQ(largest_srcset_candidate("/img/w_100,h_50/a.jpg 100w, /img/w_900,h_450/a.jpg 900w"),
              "/img/w_900,h_450/a.jpg");
    EXPECT_EQ(largest_srcset_candidate("a.jpg,b.jpg 2x"), "a.jpg,b.jpg")
        << "no space: one URL with a comma in it";
    EXPECT_EQ(largest_srcset_candidate("a.jpg,, b.jpg 2x"), "b.jpg");
    EXPECT_EQ(largest_srcset_candidate("a.jpg 2x (x, 9x), b.jpg 1x"), "b.jpg")
        << "a comma inside parentheses does not end the candidate, whose unknown descriptor "
           "then drops it";
}

TEST(Srcset, SkipsInvalidCandidatesAndGivesNothingForNone) {
    EXPECT_EQ(largest_srcset_candidate("a.jpg 9999q, b.jpg 10w"), "b.jpg");
    EXPECT_EQ(largest_srcset_candidate("a.jpg -5w, b.jpg 10w"), "b.jpg");
    EXPECT_EQ(largest_srcset_candidate("a.jpg 1.5w, b.jpg 2w"), "b.jpg") << "w is an integer";
    EXPECT_FALSE(largest_srcset_candidate(""));
    EXPECT_FALSE(largest_srcset_candidate(" , ,, "));
}

TEST(Srcset, KeepsTheFirstOfATie) {
    EXPECT_EQ(largest_srcset_candidate("a.jpg 2x, b.jpg 2x"), "a.jpg");
}

} // namespace
} // namespace imgfetch
