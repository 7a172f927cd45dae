#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <csignal>

#include "imgfetch/transfer/curl_session.hpp"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    std::signal(SIGPIPE, SIG_IGN);
    spdlog::set_level(spdlog::level::warn); // keep expected failures from flooding test output
    const imgfetch::CurlGlobal curl;        // once, before any test starts a thread
    return RUN_ALL_TESTS();
}
