// BodySink on real bytes into a real output directory: the sniff, the gathered writes into
// the temporary, the --max-size cap and the SHA-256 of the saved bytes.
#include "imgfetch/transfer/body_sink.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "imgfetch/files/output_dir.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::fake_jpeg;
using test::fake_png;
using test::list_dir;
using test::read_file;
using test::TempDir;

// An independent SHA-256 (OpenSSL's one-shot digest), as hex.
std::string sha256_of(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr),
              1);
    std::string hex;
    for (unsigned i = 0; i < size; ++i) {
        static constexpr char k_hex[] = "0123456789abcdef";
        hex.push_back(k_hex[digest[i] >> 4]);
        hex.push_back(k_hex[digest[i] & 0xF]);
    }
    return hex;
}

class BodySinkTest : public ::testing::Test {
protected:
    // A sink whose response says `media_type`; counts how often it is asked.
    BodySink sink(std::string media_type = "image/png") {
        return BodySink(dir, limits, buffer, [this, media_type] {
            ++media_type_asked;
            return media_type;
        });
    }

    // Feeds `body` in pieces of `piece` bytes; the first refusal, or nothing.
    static std::optional<std::string> feed(BodySink& body_sink, std::string_view body,
                                           std::size_t piece) {
        for (std::size_t at = 0; at < body.size(); at += piece) {
            if (auto refused = body_sink.take(body.substr(at, piece))) {
                return refused;
            }
        }
        return std::nullopt;
    }

    TempDir temp;
    OutputDir dir{(temp / "out").string()};
    BodySinkLimits limits;
    std::vector<char> buffer;
    int media_type_asked = 0;
};

TEST_F(BodySinkTest, KeepsAnImageByteForByteInPiecesLargerAndSmallerThanAWrite) {
    const std::string body = fake_png(1, 300'000);
    for (const std::size_t piece : {std::size_t{1} << 14, std::size_t{100'000}, body.size()}) {
        BodySink body_sink = sink();

        ASSERT_EQ(feed(body_sink, body, piece), std::nullopt);
        ASSERT_EQ(body_sink.finish(), std::nullopt);
        const std::string name = "a" + std::to_string(piece) + ".png";
        body_sink.file().commit(name);

        EXPECT_EQ(body_sink.bytes(), body.size());
        EXPECT_EQ(body_sink.extension(), "png");
        EXPECT_EQ(read_file(temp / "out" / name), body) << "pieces of " << piece;
    }
}

TEST_F(BodySinkTest, DecidesOnceFromTheFirstBytesEvenWhenTheyArriveOneByOne) {
    const std::string body = fake_jpeg(2, 100);
    BodySink body_sink = sink("image/png"); // a wrong label: the bytes win

    ASSERT_EQ(feed(body_sink, body, 1), std::nullopt);
    ASSERT_EQ(body_sink.finish(), std::nullopt);
    body_sink.file().commit("b.jpg");

    EXPECT_EQ(body_sink.extension(), "jpg");
    EXPECT_EQ(media_type_asked, 1);
    EXPECT_EQ(read_file(temp / "out" / "b.jpg"), body);
}

TEST_F(BodySinkTest, DecidesOnABodyShorterThanTheSniffWindowAtTheEnd) {
    const std::string body = "\x89PNG\r\n\x1a\n" + std::string(4, 'x');
    BodySink body_sink = sink();

    ASSERT_EQ(feed(body_sink, body, 3), std::nullopt);
    EXPECT_EQ(media_type_asked, 0) << "no decision before the end of a short body";
    ASSERT_EQ(body_sink.finish(), std::nullopt);
    body_sink.file().commit("short.png");

    EXPECT_EQ(read_file(temp / "out" / "short.png"), body);
}

TEST_F(BodySinkTest, RefusesAnEmptyBody) {
    BodySink body_sink = sink();

    EXPECT_EQ(body_sink.finish(), "empty body");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(BodySinkTest, RefusesAPageThatIsNotAnImageAndWritesNothing) {
    const std::string page = "<!doctype html><html><body>" + std::string(100, 'x') + "</html>";
    BodySink html = sink("text/html");
    BodySink labelled = sink("image/png");
    BodySink unlabelled = sink("");

    EXPECT_EQ(feed(html, page, page.size()), "not an image (text/html)");
    EXPECT_EQ(feed(labelled, page, 7), "not an image (HTML/XML body labelled image/png)");
    EXPECT_EQ(feed(unlabelled, page, page.size()), "not an image (no Content-Type)");
    EXPECT_TRUE(list_dir(temp / "out").empty()) << "not even a temporary";
}

TEST_F(BodySinkTest, KeepsAnyBodyWithAnyType) {
    limits.any_type = true;
    BodySink body_sink = sink("text/plain");

    ASSERT_EQ(feed(body_sink, "plain text, not an image", 5), std::nullopt);
    ASSERT_EQ(body_sink.finish(), std::nullopt);
    body_sink.file().commit("notes");

    EXPECT_EQ(body_sink.extension(), "");
    EXPECT_EQ(read_file(temp / "out" / "notes"), "plain text, not an image");
}

TEST_F(BodySinkTest, CapsTheBytesDeliveredAtMaxSize) {
    const std::string body = fake_png(3, 1000);
    limits.max_size = body.size();
    BodySink exact = sink();
    BodySink over = sink();

    EXPECT_EQ(feed(exact, body, 100), std::nullopt);
    EXPECT_EQ(exact.finish(), std::nullopt);
    EXPECT_EQ(feed(over, body + "x", 100),
              "larger than --max-size (" + std::to_string(body.size()) + " bytes)");
}

TEST_F(BodySinkTest, CountsHeldBackBytesAgainstMaxSize) {
    limits.max_size = 10;
    BodySink body_sink = sink();

    EXPECT_EQ(feed(body_sink, std::string(11, 'x'), 1), "larger than --max-size (10 bytes)");
    EXPECT_EQ(media_type_asked, 0) << "refused while still held back";
}

TEST_F(BodySinkTest, RefusesAnAnnouncedLengthOverMaxSizeOnly) {
    limits.max_size = 100;
    BodySink body_sink = sink(); // not const: a refusal records its kind
    BodySink unlimited = [this] {
        limits.max_size = 0;
        return sink();
    }();

    EXPECT_EQ(body_sink.refuse_announced(100), std::nullopt);
    EXPECT_EQ(body_sink.refuse_announced(101), "larger than --max-size (100 bytes; announced 101)");
    EXPECT_EQ(unlimited.refuse_announced(1'000'000'000), std::nullopt);
}

TEST_F(BodySinkTest, HashesTheSavedBytesWithSha256) {
    limits.sha256 = true;
    const std::string body = fake_png(4, 200'000);
    BodySink body_sink = sink();

    ASSERT_EQ(feed(body_sink, body, 7'000), std::nullopt);
    ASSERT_EQ(body_sink.finish(), std::nullopt);

    EXPECT_EQ(body_sink.hex_digest(), sha256_of(body));
}

TEST_F(BodySinkTest, Sha256OfAKnownInput) {
    limits.sha256 = true;
    limits.any_type = true;
    BodySink body_sink = sink("text/plain");

    ASSERT_EQ(feed(body_sink, "abc", 1), std::nullopt);
    ASSERT_EQ(body_sink.finish(), std::nullopt);

    EXPECT_EQ(body_sink.hex_digest(),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(BodySinkTest, NoDigestWithoutChecksum) {
    BodySink body_sink = sink();

    ASSERT_EQ(feed(body_sink, fake_png(5), 512), std::nullopt);
    ASSERT_EQ(body_sink.finish(), std::nullopt);

    EXPECT_EQ(body_sink.hex_digest(), std::nullopt);
}

TEST_F(BodySinkTest, StartsWithAnEmptyBufferWhateverTheLastTransferLeftInIt) {
    buffer.assign(1000, 'z'); // bytes a previous transfer gathered but never wrote
    const std::string body = fake_png(6, 100);
    BodySink body_sink = sink();

    ASSERT_EQ(feed(body_sink, body, 50), std::nullopt);
    ASSERT_EQ(body_sink.finish(), std::nullopt);
    body_sink.file().commit("c.png");

    EXPECT_EQ(read_file(temp / "out" / "c.png"), body);
}

TEST_F(BodySinkTest, AnUncommittedSinkLeavesNoFile) {
    {
        BodySink body_sink = sink();
        ASSERT_EQ(feed(body_sink, fake_png(7, 100'000), 16'384), std::nullopt);
    }

    EXPECT_TRUE(list_dir(temp / "out").empty());
}

} // namespace
} // namespace imgfetch
