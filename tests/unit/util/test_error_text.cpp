#include "imgfetch/util/error_text.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace imgfetch {
namespace {

TEST(ErrorText, IsStrerrorsTextForEveryErrnoAndUnknownOnes) {
    for (int errnum = -1; errnum < 200; ++errnum) {
        const std::string expected = std::strerror(errnum);
        EXPECT_EQ(error_text(errnum), expected) << "errno " << errnum;
    }
}

TEST(ErrorText, GivesEachThreadItsOwnText) {
    // Unknown values are formatted into a buffer: threads asking at once must each get theirs.
    constexpr int k_threads = 4;
    std::latch start(k_threads);
    std::vector<std::string> texts(k_threads);
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < k_threads; ++i) {
            threads.emplace_back([&, i] {
                start.arrive_and_wait();
                for (int round = 0; round < 1000; ++round) {
                    texts[i] = error_text(100000 + i);
                }
            });
        }
    }
    for (int i = 0; i < k_threads; ++i) {
        EXPECT_EQ(texts[i], "Unknown error " + std::to_string(100000 + i));
    }
}

} // namespace
} // namespace imgfetch
