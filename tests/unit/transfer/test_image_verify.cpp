// --verify structure wired into downloads (issue 14 parts 1 to 3), against a loopback server
// serving the real samples of tests/data/images: every format cut short or with a flipped bit is
// failed with the check's reason, retried, and never saved; --verify none keeps it; the report's
// facts; the filters, and an early abort checked against the bytes the server actually sent.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "imgfetch/transfer/download.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"
#include "unit/image/image_samples.hpp"

namespace imgfetch {
namespace {

using test::contains;
using test::list_dir;
using test::read_file;
using test::sample_image;

struct ImageVerifySample {
    const char* file;
    const char* format;
};

// One sample of every checked format.
const std::vector<ImageVerifySample> k_image_verify_samples{
    {"sample.jpg", "jpeg"},  {"sample.png", "png"},   {"sample.gif", "gif"},
    {"sample.webp", "webp"}, {"sample.avif", "avif"}, {"sample.heic", "heic"},
    {"sample.bmp", "bmp"},   {"sample.tif", "tiff"},  {"sample.ico", "ico"},
    {"sample.svg", "svg"}};

class ImageVerify : public ::testing::Test,
                    protected test::WithTestServer,
                    protected test::DownloadFixture {
protected:
    ImageVerify() {
        settings.retry_delay_s = 0;
        // One route for every served body: routes must not change once the server runs.
        server.server().Get(R"(/served(/.*))", [this](const httplib::Request& req,
                                                      httplib::Response& res) {
            const std::string path = req.matches[1];
            const std::lock_guard lock(m_bodies_mutex);
            res.set_content(m_bodies[path], path.ends_with(".svg") ? "image/svg+xml" : "image/png");
        });
    }

    // Serves `body` at url_of(`path`) with its own Content-Length (a cut that matches its
    // length): SVG as image/svg+xml, everything else as image/png.
    void serve(const std::string& path, std::string body) {
        const std::lock_guard lock(m_bodies_mutex);
        m_bodies[path] = std::move(body);
    }
    std::string url_of(const std::string& path) { return server.url("/served" + path); }

    // Serves `broken` on the first request to `path`, `whole` on every later one.
    void serve_broken_then_whole(const std::string& path, std::string broken, std::string whole) {
        server.server().Get(path, [this, broken = std::move(broken), whole = std::move(whole)](
                                      const httplib::Request&, httplib::Response& res) {
            res.set_content(requests++ == 0 ? broken : whole, "image/png");
        });
    }

    std::vector<std::string> saved() const { return list_dir(temp / "out"); }

    std::atomic<int> requests{0};
    std::mutex m_bodies_mutex;                   // guards m_bodies (the server's threads read it)
    std::map<std::string, std::string> m_bodies; // path -> body, see serve()
};

std::string image_verify_flipped(std::string body, std::size_t offset, unsigned bit = 4) {
    body[offset] = static_cast<char>(body[offset] ^ (1U << bit));
    return body;
}

TEST_F(ImageVerify, EveryFormatCutShortIsFailedWithTheReasonRetriedAndNeverSaved) {
    settings.retries = 2;
    for (const ImageVerifySample& sample : k_image_verify_samples) {
        SCOPED_TRACE(sample.file);
        const std::string whole = sample_image(sample.file);
        const std::string path = std::string("/cut/") + sample.file;
        serve(path, whole.substr(0, whole.size() * 2 / 3));

        const TransferResult result = download_retrying(Task{0, 1, url_of(path), "x", true});

        EXPECT_EQ(result.status, Status::failed);
        EXPECT_TRUE(contains(result.error, "image (")) << result.error;
        EXPECT_EQ(result.attempts, 3U) << "retried like a transient error";
        EXPECT_EQ(result.received, whole.size() * 2 / 3);
        EXPECT_EQ(result.bytes, 0U);
        EXPECT_TRUE(saved().empty()) << "no final file and no temporary";
    }
}

TEST_F(ImageVerify, ATruncatedPngSaysWhatIsMissing) {
    const std::string whole = sample_image("sample.png");
    serve("/cut.png", whole.substr(0, whole.size() - 12)); // without its IEND chunk

    const TransferResult result = download(url_of("/cut.png"));

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "truncated image (PNG: no IEND chunk)");
    EXPECT_EQ(result.format, "png");
    EXPECT_TRUE(saved().empty());
}

TEST_F(ImageVerify, ABitFlipInAPngIsACorruptImageRetriedAndNeverSaved) {
    settings.retries = 1;
    const std::string whole = sample_image("sample.png");
    serve("/flip.png", image_verify_flipped(whole, whole.size() / 2));

    const TransferResult result = download_retrying(Task{0, 1, url_of("/flip.png"), "x.png"});

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_TRUE(contains(result.error, "corrupt image (PNG: CRC mismatch")) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_TRUE(saved().empty());
}

// Single-bit flips in every format's first 20 bytes: whatever the check refuses leaves
// nothing under a final name, and it refuses some flips of every format.
TEST_F(ImageVerify, EveryFormatWithFlippedHeaderBitsIsRefusedAndNeverSaved) {
    for (const ImageVerifySample& sample : k_image_verify_samples) {
        SCOPED_TRACE(sample.file);
        const std::string whole = sample_image(sample.file);
        std::size_t refused = 0;
        for (std::size_t flip = 0; flip < 20 * 8; ++flip) {
            const std::size_t offset = flip / 8;
            const std::string path = "/flip/" + std::to_string(flip) + "/" + sample.file;
            serve(path, image_verify_flipped(whole, offset, flip % 8));

            const TransferResult result = download(Task{0, 1, url_of(path), "x", true});

            if (result.status == Status::ok) {
                std::filesystem::remove(result.path); // a flip the structure does not show
                continue;
            }
            ++refused;
            EXPECT_TRUE(contains(result.error, "image")) << result.error;
            EXPECT_TRUE(saved().empty()) << "nothing saved for a refused flip at " << offset;
        }
        EXPECT_GT(refused, 0U);
    }
}

TEST_F(ImageVerify, AServerThatSendsTheWholeImageOnTheSecondAttemptGivesOk) {
    settings.retries = 2;
    const std::string whole = sample_image("sample.jpg");
    serve_broken_then_whole("/again.jpg", whole.substr(0, whole.size() / 2), whole);

    const TransferResult result =
        download_retrying(Task{0, 1, server.url("/again.jpg"), "again.jpg"});

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.attempts, 2U);
    EXPECT_EQ(read_file(temp / "out" / "again.jpg"), whole);
}

TEST_F(ImageVerify, VerifyNoneKeepsACutImageAsItCame) {
    settings.verify = VerifyMode::none;
    const std::string whole = sample_image("sample.png");
    const std::string cut = whole.substr(0, whole.size() / 2);
    serve("/cut.png", cut);

    const TransferResult result = download(url_of("/cut.png"), "cut.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "cut.png"), cut);
    EXPECT_EQ(result.format, "png");
}

TEST_F(ImageVerify, TheResultHasTheFormatDimensionsFramesAndBytesReceived) {
    for (const ImageVerifySample& sample : k_image_verify_samples) {
        SCOPED_TRACE(sample.file);
        const std::string whole = sample_image(sample.file);
        const std::string path = std::string("/whole/") + sample.file;
        serve(path, whole);

        const TransferResult result = download(Task{0, 1, url_of(path), sample.file, false});

        EXPECT_EQ(result.status, Status::ok) << result.error;
        EXPECT_EQ(result.format, sample.format);
        EXPECT_EQ(result.width, 37U);
        EXPECT_EQ(result.height, sample.format == std::string("ico") ? 37U : 23U);
        EXPECT_EQ(result.frames, 1U);
        EXPECT_EQ(result.received, whole.size());
        EXPECT_EQ(result.bytes, whole.size());
    }
}

TEST_F(ImageVerify, AnAnimatedGifAndWebpReportTheirFrames) {
    for (const char* file : {"animated.gif", "animated.webp"}) {
        SCOPED_TRACE(file);
        serve(std::string("/") + file, sample_image(file));

        const TransferResult result =
            download(Task{0, 1, url_of(std::string("/") + file), file, false});

        EXPECT_EQ(result.status, Status::ok) << result.error;
        EXPECT_EQ(result.frames, 3U);
    }
}

TEST_F(ImageVerify, AnImageUnderMinWidthIsFilteredNotRetriedAndNotSaved) {
    settings.retries = 2;
    settings.filters.min_width = 100;
    serve("/small.png", sample_image("sample.png"));

    const TransferResult result = download_retrying(Task{0, 1, url_of("/small.png"), "x.png"});

    EXPECT_EQ(result.status, Status::filtered);
    EXPECT_EQ(result.reason, "width 37 < --min-width 100");
    EXPECT_TRUE(result.error.empty()) << result.error;
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(result.width, 37U);
    EXPECT_GT(result.received, 0U);
    EXPECT_TRUE(saved().empty());
}

TEST_F(ImageVerify, EachDimensionFilterSaysWhichFilterAndPassesAnImageThatFits) {
    const std::string png = sample_image("sample.png"); // 37x23 = 851 pixels
    serve("/p.png", png);
    struct Case {
        ImageFilters filters;
        const char* reason; // "" = kept
    };
    const std::vector<Case> cases{
        {ImageFilters{0, 24, 0, 0, 0, {}, {}}, "height 23 < --min-height 24"},
        {ImageFilters{0, 0, 852, 0, 0, {}, {}}, "pixels 851 < --min-pixels 852"},
        {ImageFilters{0, 0, 0, 850, 0, {}, {}}, "pixels 851 > --max-pixels 850"},
        {ImageFilters{37, 23, 851, 851, 0, {}, {}}, ""},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.reason);
        settings.filters = c.filters;
        const TransferResult result = download(url_of("/p.png"), "p.png");
        EXPECT_EQ(result.reason, c.reason);
        EXPECT_EQ(result.status, *c.reason == '\0' ? Status::ok : Status::filtered);
    }
}

TEST_F(ImageVerify, TypesAreDecidedByTheBytes) {
    serve("/a.gif", sample_image("sample.gif"));
    serve("/a.avif", sample_image("sample.avif"));
    settings.filters.reject_types = {"gif", "svg"};
    EXPECT_EQ(download(url_of("/a.gif"), "a.gif").reason, "type gif rejected by --reject-types");
    EXPECT_EQ(download(url_of("/a.avif"), "a.avif").status, Status::ok);
    settings.filters.reject_types.clear();
    settings.filters.types = {"heic"};
    const TransferResult avif = download(url_of("/a.avif"), "b.avif");
    EXPECT_EQ(avif.status, Status::filtered);
    EXPECT_EQ(avif.reason, "type avif not in --types");
    settings.filters.types = {"avif"};
    EXPECT_EQ(download(url_of("/a.avif"), "c.avif").status, Status::ok);
    EXPECT_EQ(list_dir(temp / "out"), (std::vector<std::string>{"a.avif", "c.avif"}));
}

TEST_F(ImageVerify, MinSizeFromTheContentLengthReadsNoBodyByte) {
    settings.filters.min_size = 4096;
    serve("/small.png", sample_image("sample.jpg")); // 670 bytes

    const TransferResult result = download(url_of("/small.png"));

    EXPECT_EQ(result.status, Status::filtered);
    EXPECT_EQ(result.reason, "size 670 bytes < --min-size 4096 bytes");
    EXPECT_EQ(result.received, 0U);
    EXPECT_TRUE(saved().empty());
}

TEST_F(ImageVerify, MinSizeWithoutAContentLengthIsDecidedAtTheEnd) {
    settings.filters.min_size = 4096;
    const std::string jpeg = sample_image("sample.jpg");
    server.server().Get("/chunked.jpg", [jpeg](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("image/jpeg",
                                         [jpeg](std::size_t, httplib::DataSink& sink) {
                                             sink.write(jpeg.data(), jpeg.size());
                                             sink.done();
                                             return true;
                                         });
    });

    const TransferResult result = download(server.url("/chunked.jpg"));

    EXPECT_EQ(result.status, Status::filtered);
    EXPECT_EQ(result.reason, "size 670 bytes < --min-size 4096 bytes");
    EXPECT_EQ(result.received, jpeg.size());
    EXPECT_TRUE(saved().empty());
}

// A PNG announcing 100000x100000 pixels, served as 64 MiB of one IDAT chunk in 64 KiB pieces:
// --max-pixels stops it after its IHDR; the server sees the client go away long before the end.
TEST_F(ImageVerify, MaxPixelsStopsADecompressionBombAfterItsHeader) {
    constexpr std::size_t k_bomb_size = std::size_t{64} << 20;
    constexpr std::size_t k_piece = 64 * 1024;
    using test::fake_image_detail::append_be32;
    std::string head("\x89PNG\r\n\x1a\n", 8);
    std::string ihdr;
    append_be32(ihdr, 100'000); // width
    append_be32(ihdr, 100'000); // height
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);
    test::fake_image_detail::append_png_chunk(head, "IHDR", ihdr);
    append_be32(head, static_cast<std::uint32_t>(k_bomb_size - 64));
    head += "IDAT";
    std::promise<std::size_t> gave_up; // the bytes served when the client had gone
    std::future<std::size_t> served = gave_up.get_future();
    server.server().Get("/bomb.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content_provider(
            k_bomb_size, "image/png",
            [&, head](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                std::string piece = offset == 0 ? head : std::string();
                piece.resize(std::min(k_piece, k_bomb_size - offset), '\0');
                if (!sink.write(piece.data(), piece.size())) {
                    gave_up.set_value(offset);
                    return false;
                }
                return true;
            });
    });
    settings.filters.max_pixels = 100'000'000;

    const TransferResult result = download(server.url("/bomb.png"));

    EXPECT_EQ(result.status, Status::filtered);
    EXPECT_EQ(result.reason, "pixels 10000000000 > --max-pixels 100000000");
    EXPECT_LT(result.received, k_bomb_size / 64) << "stopped after the header";
    EXPECT_EQ(result.width, 100'000U);
    ASSERT_EQ(served.wait_for(std::chrono::seconds(60)), std::future_status::ready)
        << "the server never saw the client go away";
    EXPECT_LT(served.get(), k_bomb_size / 4) << "the server saw the client go away early";
    EXPECT_TRUE(saved().empty());
}

TEST_F(ImageVerify, UnderAnyTypeAnHtmlPageIsKeptAndAnImageStillChecked) {
    settings.any_type = true;
    server.server().Get("/page", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("<html><body>not svg</body></html>", "text/html");
    });
    const std::string png = sample_image("sample.png");
    serve("/cut.png", png.substr(0, png.size() / 2));

    const TransferResult page = download(server.url("/page"), "page");
    const TransferResult cut = download(url_of("/cut.png"), "cut.png");

    EXPECT_EQ(page.status, Status::ok) << page.error;
    EXPECT_TRUE(page.format.empty());
    EXPECT_EQ(cut.status, Status::failed);
    EXPECT_TRUE(contains(cut.error, "truncated image (PNG")) << cut.error;
}

} // namespace
} // namespace imgfetch
