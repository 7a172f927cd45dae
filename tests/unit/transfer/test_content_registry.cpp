// ContentRegistry (the run's saved files by digest) under real concurrent threads, and
// PlaceholderHashes' parsing of a --reject-hash file.
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/content_registry.hpp"
#include "imgfetch/transfer/placeholder_hashes.hpp"
#include "support/sha256.hpp"

namespace imgfetch {
namespace {

using test::sha256_hex;

constexpr unsigned k_content_registry_threads = 8;
constexpr std::size_t k_content_registry_digests = 200;

// What one thread saw for each digest: nothing (it registered first) or the earlier path.
using ContentRegistrySeen = std::vector<std::optional<std::string>>;

TEST(ContentRegistry, OfRacingThreadsWithTheSameDigestExactlyOneRegisters) {
    ContentRegistry registry;
    std::array<ContentRegistrySeen, k_content_registry_threads> seen;
    {
        std::vector<std::jthread> threads;
        for (unsigned t = 0; t < k_content_registry_threads; ++t) {
            threads.emplace_back([&registry, &seen, t] {
                for (std::size_t d = 0; d < k_content_registry_digests; ++d) {
                    const std::string name = std::to_string(t) + "-" + std::to_string(d);
                    const std::optional<SavedFile> earlier =
                        registry.add_or_find(sha256_hex(std::to_string(d)), {name, "out/" + name});
                    seen[t].push_back(earlier ? std::optional(earlier->path) : std::nullopt);
                    // Readers race the writers too.
                    static_cast<void>(registry.find(sha256_hex(std::to_string(d / 2))));
                }
            });
        }
    } // joined
    for (std::size_t d = 0; d < k_content_registry_digests; ++d) {
        unsigned first = k_content_registry_threads;
        for (unsigned t = 0; t < k_content_registry_threads; ++t) {
            if (!seen[t][d]) {
                EXPECT_EQ(first, k_content_registry_threads) << "two registered digest " << d;
                first = t;
            }
        }
        ASSERT_LT(first, k_content_registry_threads) << "none registered digest " << d;
        const std::string first_path = "out/" + std::to_string(first) + "-" + std::to_string(d);
        for (unsigned t = 0; t < k_content_registry_threads; ++t) {
            if (t != first) {
                EXPECT_EQ(seen[t][d], first_path) << "thread " << t << " digest " << d;
            }
        }
        const std::optional<SavedFile> found = registry.find(sha256_hex(std::to_string(d)));
        ASSERT_TRUE(found);
        EXPECT_EQ(found->path, first_path);
    }
    EXPECT_FALSE(registry.find(sha256_hex("never added")));
}

TEST(PlaceholderHashes, ReadsDigestsInEitherCaseAndSkipsBlankAndCommentLines) {
    const std::string a = sha256_hex("a");
    std::string b_upper = sha256_hex("b");
    for (char& c : b_upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const PlaceholderHashes hashes = PlaceholderHashes::parse(
        "# placeholders\n\n   \n" + a + "\r\n  " + b_upper + "  removed.png\n  # indented\n",
        "p.txt");

    EXPECT_EQ(hashes.size(), 2U);
    EXPECT_TRUE(hashes.contains(a));
    EXPECT_TRUE(hashes.contains(sha256_hex("b")));
    EXPECT_FALSE(hashes.contains(sha256_hex("c")));
}

TEST(PlaceholderHashes, ABadLineIsASetupErrorNamingFileAndLine) {
    const std::string good = sha256_hex("a");
    for (const std::string& bad :
         {good.substr(1), good + "0", "g" + good.substr(1), std::string("md5 x")}) {
        try {
            static_cast<void>(
                PlaceholderHashes::parse("# c\n" + good + "\n" + bad + "\n", "p.txt"));
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const SetupError& e) {
            EXPECT_EQ(std::string(e.what()),
                      "--reject-hash p.txt: line 3: not a sha256 (64 hex digits)");
        }
    }
}

TEST(PlaceholderHashes, AMissingFileIsASetupError) {
    EXPECT_THROW(static_cast<void>(PlaceholderHashes::load("/nonexistent/imgfetch/hashes")),
                 SetupError);
}

} // namespace
} // namespace imgfetch
