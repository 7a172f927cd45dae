// Broken bodies from a scripted RawServer: short, reset, badly chunked or cut bodies fail, leave
// nothing behind, and are retried as transient.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/raw_server.hpp"
#include "support/resilience.hpp"

namespace imgfetch {
namespace {

using test::chunked;
using test::contains;
using test::fake_png;
using test::http_head;
using test::list_dir;
using test::RawConnection;
using test::RawServer;
using test::read_file;
using test::Resilience;

class BrokenBodies : public Resilience {};

// Each sends 20,000 body bytes (past the image check, so a temporary exists) before breaking.
const std::string k_partial_body = fake_png(9, 20'000 - 8);

TEST_F(BrokenBodies, ABodyShorterThanItsContentLengthFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        connection.send(http_head("Content-Length: 100000\r\n") + k_partial_body);
        connection.close();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "transfer closed")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(result.bytes, 0U);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, AConnectionResetMidBodyFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        connection.send(http_head("Content-Length: 100000\r\n") + k_partial_body);
        connection.wait_until_received(); // a reset throws away what was not yet delivered
        connection.reset();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "Recv failure")) << result.error;
    EXPECT_TRUE(contains(result.error, "reset")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, ABrokenChunkedEncodingFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        std::string reply = http_head("Transfer-Encoding: chunked\r\n");
        reply += chunked(k_partial_body, 4096);
        reply.resize(reply.size() - 5);  // drop the terminating "0\r\n\r\n"
        reply += "zz-not-hex\r\nxx\r\n"; // and say something that is no chunk size
        connection.send(reply);
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "chunk")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, AChunkedBodyCutBeforeItsLastChunkFails) {
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        std::string reply = http_head("Transfer-Encoding: chunked\r\n");
        reply += chunked(k_partial_body, 4096);
        reply.resize(reply.size() - 5); // no terminating chunk: the server just hangs up
        connection.send(reply);
        connection.close();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "transfer closed")) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_TRUE(files().empty()) << "no final file and no temporary";
}

TEST_F(BrokenBodies, ABrokenBodyIsTransientAndRetried) {
    settings.retries = 2;
    RawServer raw([](RawConnection& connection) {
        connection.read_request();
        if (connection.index() == 0) {
            connection.send(http_head("Content-Length: 100000\r\n") + k_partial_body);
            connection.close();
            return;
        }
        connection.send(
            http_head("Content-Length: " + std::to_string(k_partial_body.size()) + "\r\n") +
            k_partial_body);
        connection.hold();
    });

    const TransferResult result = fetch(raw.url("/x.png"));

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"x.png"});
    EXPECT_EQ(read_file(temp / "out" / "x.png"), k_partial_body);
}

} // namespace
} // namespace imgfetch
