// StallWatch on explicit clock readings: plain arithmetic, no waiting.
#include "imgfetch/transfer/stall_watch.hpp"

#include <gtest/gtest.h>

namespace imgfetch {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const StallWatch::Clock::time_point k_start = StallWatch::Clock::now();

TEST(StallWatch, NoByteForLongerThanTheLimitFromTheStartIsAStall) {
    StallWatch watch(seconds(30), k_start);

    EXPECT_FALSE(watch.stalled(0, k_start + seconds(1)));
    EXPECT_FALSE(watch.stalled(0, k_start + seconds(30)));
    EXPECT_TRUE(watch.stalled(0, k_start + seconds(30) + milliseconds(1)));
}

TEST(StallWatch, EveryNewByteRestartsTheWait) {
    StallWatch watch(seconds(5), k_start);

    EXPECT_FALSE(watch.stalled(100, k_start + seconds(4)));
    EXPECT_FALSE(watch.stalled(200, k_start + seconds(8)));
    EXPECT_FALSE(watch.stalled(200, k_start + seconds(12)));
    EXPECT_TRUE(watch.stalled(200, k_start + seconds(14)));
}

TEST(StallWatch, ABodyThatKeepsFlowingNeverStalls) {
    StallWatch watch(seconds(1), k_start);

    for (int i = 1; i <= 100; ++i) {
        ASSERT_FALSE(watch.stalled(i * 1000, k_start + seconds(i))) << i;
    }
}

TEST(StallWatch, SaysHowLongNothingCame) {
    const StallWatch watch(seconds(30), k_start);

    EXPECT_EQ(watch.reason(), "stalled: no data for 30 s");
}

} // namespace
} // namespace imgfetch
