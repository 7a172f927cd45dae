// download_link against a real loopback server: the transfer layer on its own.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <set>

#include "imgfetch/transfer/download.hpp"
#include "support/download_fixture.hpp"
#include "support/images.hpp"
#include "support/temp_dir.hpp"
#include "support/test_server.hpp"

namespace imgfetch {
namespace {

using test::fake_png;
using test::list_dir;
using test::read_file;
using test::TestServer;

class DownloadLink : public ::testing::Test,
                     protected test::WithTestServer,
                     protected test::DownloadFixture {
protected:
    TransferResult fetch(const std::string& path, const std::string& name,
                         bool needs_extension = false) {
        return download(Task{0, 1, server.url(path), name, needs_extension}, 3);
    }
};

TEST_F(DownloadLink, SavesTheBodyByteForByteUnderItsFinalName) {
    const std::string body = fake_png(1, 100'000);
    server.server().Get("/a.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "image/png");
    });

    const TransferResult result = fetch("/a.png", "a.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.http_status, 200);
    EXPECT_EQ(result.bytes, body.size());
    EXPECT_EQ(result.attempts, 1U);
    EXPECT_EQ(result.worker, 3U);
    EXPECT_EQ(result.path, (temp / "out" / "a.png").string());
    ASSERT_TRUE(result.start && result.end);
    EXPECT_LE(*result.start, *result.end);
    EXPECT_EQ(read_file(temp / "out" / "a.png"), body);
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"a.png"});
}

TEST_F(DownloadLink, RejectsAnHtmlPageAndLeavesNoFileBehind) {
    server.server().Get("/cat.jpg", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(5000, 'x') + "<html>oops</html>", "text/html; charset=utf-8");
    });

    const TransferResult result = fetch("/cat.jpg", "cat.jpg");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "not an image (text/html)");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, RejectsAnHtmlPageLabelledAsAnImage) {
    server.server().Get("/cat.jpg", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("\n<!DOCTYPE html><html><body>Please log in</body></html>", "image/jpeg");
    });

    const TransferResult result = fetch("/cat.jpg", "cat.jpg");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "not an image (HTML/XML body labelled image/jpeg)");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, AcceptsSvgMarkupServedAsSvg) {
    server.server().Get("/logo.svg", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\"/>", "image/svg+xml");
    });

    const TransferResult result = fetch("/logo.svg", "logo.svg");

    EXPECT_EQ(result.status, Status::ok) << result.error;
}

TEST_F(DownloadLink, RejectsATinyNonImageBodyShorterThanTheSniffWindow) {
    server.server().Get("/x", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("hi", "text/plain");
    });

    const TransferResult result = fetch("/x", "x", true);

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "not an image (text/plain)");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, AnyTypeKeepsANonImageBody) {
    settings.any_type = true;
    server.server().Get("/doc.txt", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("hello, world", "text/plain");
    });

    const TransferResult result = fetch("/doc.txt", "doc.txt", true);

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "doc.txt"), "hello, world");
}

TEST_F(DownloadLink, AcceptsImageMagicBytesDespiteAGenericContentType) {
    const std::string body = fake_png(2);
    server.server().Get("/download", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "application/octet-stream");
    });

    const TransferResult result = fetch("/download", "download", true);

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(result.path, (temp / "out" / "download.png").string());
    EXPECT_EQ(read_file(temp / "out" / "download.png"), body);
}

TEST_F(DownloadLink, AddsTheExtensionOfTheContentTypeWhenTheBytesAreNotRecognised) {
    server.server().Get("/pic", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(100, 'g'), "image/gif");
    });

    const TransferResult result = fetch("/pic", "pic", true);

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"pic.gif"});
}

TEST_F(DownloadLink, FailsOnAnHttpErrorWithItsStatusAndSavesNothing) {
    server.server().Get("/missing.png", [](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        res.set_content("<h1>Not Found</h1>", "text/html");
    });

    const TransferResult result = fetch("/missing.png", "missing.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.http_status, 404);
    EXPECT_EQ(result.error, "HTTP 404");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, ReportsTheHttpStatusEvenWhenALongErrorBodyIsCut) {
    server.server().Get("/huge-404.png", [](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        res.set_content(std::string(1'000'000, 'x'), "text/html");
    });

    const Attempt attempt = this->attempt(server.url("/huge-404.png"), "huge-404.png");
    const TransferResult& result = attempt.result;

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.http_status, 404);
    EXPECT_EQ(result.error, "HTTP 404");
    EXPECT_FALSE(attempt.retry.retryable);
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, FailsOnAnEmptyBody) {
    server.server().Get("/empty.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("", "image/png");
    });

    const TransferResult result = fetch("/empty.png", "empty.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_EQ(result.error, "empty body");
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, FollowsRedirectsButKeepsTheNameFromTheListedUrl) {
    const std::string body = fake_png(3);
    server.server().Get("/short.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_redirect("/hop");
    });
    server.server().Get("/hop", [](const httplib::Request&, httplib::Response& res) {
        res.set_redirect("/evil-name.png", 301);
    });
    server.server().Get("/evil-name.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "image/png");
    });

    const TransferResult result = fetch("/short.png", "short.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"short.png"});
    EXPECT_EQ(read_file(temp / "out" / "short.png"), body);
}

// A redirect's own body is not needed: one far over the 64 KiB kept of error bodies ends that
// hop, and the redirect is followed (as libcurl's own following did).
TEST_F(DownloadLink, FollowsARedirectWhoseOwnBodyIsLarge) {
    const std::string body = fake_png(4);
    server.server().Get("/big-redirect.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_redirect("/target.png");
        res.set_content(std::string(1 << 20, 'x'), "text/html");
    });
    server.server().Get("/target.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "image/png");
    });

    const TransferResult result = fetch("/big-redirect.png", "big.png");

    EXPECT_EQ(result.status, Status::ok) << result.error;
    EXPECT_EQ(read_file(temp / "out" / "big.png"), body);
}

TEST_F(DownloadLink, RefusesARedirectToANonHttpScheme) {
    const std::vector<std::string> targets{"file:///etc/passwd", "ftp://127.0.0.1/x.png",
                                           "gopher://127.0.0.1/x", "dict://127.0.0.1/x"};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        server.server().Get("/bounce" + std::to_string(i),
                            [target = targets[i]](const httplib::Request&, httplib::Response& res) {
                                res.set_redirect(target);
                            });
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const TransferResult result = fetch("/bounce" + std::to_string(i), "bounce.png");
        EXPECT_EQ(result.status, Status::failed) << targets[i];
        EXPECT_EQ(result.http_status, 302) << targets[i];
        EXPECT_NE(result.error.find("not supported"), std::string::npos) << result.error;
    }
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, GivesUpOnARedirectLoop) {
    server.server().Get("/loop", [](const httplib::Request&, httplib::Response& res) {
        res.set_redirect("/loop");
    });

    const TransferResult result = fetch("/loop", "loop.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_NE(result.error.find("redirects"), std::string::npos) << result.error;
    EXPECT_TRUE(list_dir(temp / "out").empty());
}

TEST_F(DownloadLink, FailsOnABodyCutShortAndLeavesNoPartialFile) {
    server.server().Get("/cut.png", [](const httplib::Request&, httplib::Response& res) {
        // Announce 100,000 bytes, send 40,000, then drop the connection.
        res.set_content_provider(100'000, "image/png",
                                 [](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                     if (offset >= 40'000) {
                                         return false;
                                     }
                                     const std::string chunk = fake_png(4, 40'000 - 8);
                                     sink.write(chunk.data(), chunk.size());
                                     return true;
                                 });
    });

    const TransferResult result = fetch("/cut.png", "cut.png");

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_FALSE(result.error.empty());
    EXPECT_TRUE(list_dir(temp / "out").empty()) << "no final file and no temporary";
}

TEST_F(DownloadLink, ReportsAConnectionFailureWithCurlsReason) {
    Task task{0, 1, "http://127.0.0.1:1/x.png", "x.png", false};
    const DownloadContext ctx = context();

    const TransferResult result = download_link(session, task, ctx, 0).result;

    EXPECT_EQ(result.status, Status::failed);
    EXPECT_FALSE(result.http_status.has_value());
    EXPECT_NE(result.error.find("connect"), std::string::npos) << result.error;
}

TEST_F(DownloadLink, SendsItsOwnUserAgent) {
    std::mutex mutex; // guards user_agent: written by a server thread
    std::string user_agent;
    server.server().Get("/ua.png", [&](const httplib::Request& req, httplib::Response& res) {
        const std::lock_guard lock(mutex);
        user_agent = req.get_header_value("User-Agent");
        res.set_content(fake_png(5), "image/png");
    });

    ASSERT_EQ(fetch("/ua.png", "ua.png").status, Status::ok);
    const std::lock_guard lock(mutex);
    EXPECT_EQ(user_agent, "imgfetch/" IMGFETCH_VERSION);
}

TEST_F(DownloadLink, ReusesOneConnectionAcrossDownloadsOfTheSameSession) {
    std::mutex mutex; // guards client_ports: written by server threads
    std::set<int> client_ports;
    server.server().Get(R"(/k/(\d+)\.png)",
                        [&](const httplib::Request& req, httplib::Response& res) {
                            const std::lock_guard lock(mutex);
                            client_ports.insert(req.remote_port);
                            res.set_content(fake_png(6), "image/png");
                        });

    for (int i = 0; i < 5; ++i) {
        const std::string name = std::to_string(i) + ".png";
        ASSERT_EQ(fetch("/k/" + name, name).status, Status::ok);
    }
    const std::lock_guard lock(mutex);
    EXPECT_EQ(client_ports.size(), 1U) << "keep-alive: every request on one connection";
}

// Bodies reach the file through the session's write buffer: one far larger than it (written
// in several batches), and one whose first piece is shorter than the sniff window.
TEST_F(DownloadLink, SavesBodiesOfAnySizeAndAnyPieceSizesByteForByte) {
    const std::string big = fake_png(7, 1'000'003);
    const std::string small = fake_png(8, 5'000);
    server.server().Get("/big.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(big, "image/png");
    });
    server.server().Get("/pieces.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider(
            "image/png", [&](std::size_t offset, httplib::DataSink& sink) {
                if (offset >= small.size()) {
                    sink.done();
                    return true;
                }
                const std::size_t piece = offset == 0 ? 10 : small.size() - offset; // 10 < sniff
                return sink.write(small.data() + offset, piece);
            });
    });

    ASSERT_EQ(fetch("/big.png", "big.png").status, Status::ok);
    ASSERT_EQ(fetch("/pieces.png", "pieces.png").status, Status::ok);

    EXPECT_EQ(read_file(temp / "out" / "big.png"), big);
    EXPECT_EQ(read_file(temp / "out" / "pieces.png"), small);
}

// The session's write buffer outlives a transfer: bytes one gathered before it was cut must
// never reach the next transfer's file.
TEST_F(DownloadLink, ATransferCutMidBodyLeavesNothingForTheNextOneOfTheSession) {
    settings.max_size = 40'000;
    const std::string cut = fake_png(9, 30'000);
    server.server().Get("/cut.png", [&](const httplib::Request&, httplib::Response& res) {
        // No length: the limit strikes only after bytes were gathered.
        res.set_chunked_content_provider("image/png",
                                         [&](std::size_t offset, httplib::DataSink& sink) {
                                             if (offset >= 4 * cut.size()) {
                                                 sink.done();
                                                 return true;
                                             }
                                             return sink.write(cut.data(), cut.size());
                                         });
    });
    const std::string next = fake_png(10, 3'000);
    server.server().Get("/next.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(next, "image/png");
    });

    EXPECT_EQ(fetch("/cut.png", "cut.png").status, Status::failed);
    ASSERT_EQ(fetch("/next.png", "next.png").status, Status::ok);

    EXPECT_EQ(read_file(temp / "out" / "next.png"), next);
    EXPECT_EQ(list_dir(temp / "out"), std::vector<std::string>{"next.png"});
}

TEST_F(DownloadLink, ReplacesASymlinkAtTheTargetInsteadOfFollowingIt) {
    const std::string body = fake_png(7);
    server.server().Get("/link.png", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "image/png");
    });
    test::write_file(temp / "outside.txt", "precious");
    std::filesystem::create_symlink(temp / "outside.txt", temp / "out" / "link.png");

    ASSERT_EQ(fetch("/link.png", "link.png").status, Status::ok);

    EXPECT_FALSE(std::filesystem::is_symlink(temp / "out" / "link.png"));
    EXPECT_EQ(read_file(temp / "out" / "link.png"), body);
    EXPECT_EQ(read_file(temp / "outside.txt"), "precious");
}

TEST_F(DownloadLink, CreatesFinalFilesWithTheUsualModeUnderTheUmask) {
    server.server().Get("/m.png", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(fake_png(8), "image/png");
    });
    const mode_t old_mask = ::umask(022);
    const TransferResult result = fetch("/m.png", "m.png");
    ::umask(old_mask);
    ASSERT_EQ(result.status, Status::ok);

    struct stat st {};
    ASSERT_EQ(::stat((temp / "out" / "m.png").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644U);
}

} // namespace
} // namespace imgfetch
