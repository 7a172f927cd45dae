// --max-size against loopback servers: chunked bodies, gzip bombs and announced lengths over the
// limit fail and leave nothing behind; a body of exactly the limit is kept.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "support/raw_server.hpp"
#include "support/resilience.hpp"

namespace imgfetch {
namespace {

using test::Arrivals;
using test::chunked;
using test::contains;
using test::fake_png;
using test::gzip_bomb;
using test::http_head;
using test::k_mebibyte;
using test::RawConnection;
using test::RawServer;
using test::read_file;
using test::Resilience;
using test::seconds_since;
using test::SteadyClock;

class Limits : public Resilience {};

TEST_F(Limits, AChunkedBodyWithoutALengthFailsOnceItGrowsPastTheLimit) {
    settings.max_size = k_mebibyte;
    server.server().Get("/big.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("image/png",
                                         [](std::size_t offset, httplib::DataSink& sink) {
                                             if (offset >= 4 * k_mebibyte) {
                                                 sink.done();
                                                 return true;
                                             }
                                             const std::string chunk = fake_png(5, 64 * 1024);
                                             return sink.write(chunk.data(), chunk.size());
                                         });
    });

    const TransferResult result = fetch(server.url("/big.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "larger than --max-size (1048576 bytes)");
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.bytes, 0U);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(Limits, AnOversizedBodyIsNotRetried) {
    settings.max_size = 1000;
    settings.retries = 3;
    Arrivals arrivals;
    server.server().Get("/big.png", [&](const httplib::Request&, httplib::Response& res) {
        arrivals.note();
        res.set_content(fake_png(6, 5000), "image/png");
    });

    const TransferResult result = fetch(server.url("/big.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "larger than --max-size")) << result.error;
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(arrivals.count(), 1U);
}

TEST_F(Limits, AGzipBombIsCutOffAtTheLimitAndLeavesNothingBehind) {
    settings.max_size = k_mebibyte;
    const std::string bomb = gzip_bomb(50 * k_mebibyte);
    ASSERT_LT(bomb.size(), 100'000U) << "about 50 KB on the wire";
    RawServer raw([&bomb](RawConnection& connection) {
        connection.read_request();
        // libcurl 7.88 decodes a gzip transfer-encoding even when it was not asked for one.
        connection.send(http_head("Transfer-Encoding: gzip, chunked\r\n") +
                        chunked(bomb, 16 * 1024));
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "larger than --max-size (1048576 bytes)");
    EXPECT_EQ(result.bytes, 0U);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(Limits, AnAnnouncedLengthOverTheLimitFailsBeforeAnyBodyArrives) {
    settings.max_size = k_mebibyte;
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        // Ten gibibytes announced, then nothing: only the announcement can end this quickly
        // (the stall timeout is 30 s).
        connection.send(http_head("Content-Length: 10737418240\r\n"));
        connection.hold();
    });
    const auto start = SteadyClock::now();

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "larger than --max-size (1048576 bytes; announced 10737418240)");
    EXPECT_LT(seconds_since(start), 5.0);
    EXPECT_TRUE(files().empty());
}

TEST_F(Limits, ABodyOfExactlyTheLimitIsKept) {
    const std::string body = fake_png(7, 4096 - 8);
    settings.max_size = body.size();
    server.server().Get("/exact.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "image/png");
    });

    const TransferResult result = fetch(server.url("/exact.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "x.png"), body);
}

} // namespace
} // namespace imgfetch
