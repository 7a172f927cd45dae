// FilterMemory and filter_fingerprint in process: what one run's filters turned away is recalled
// by the next run with the same filters (and only then), from every shard's file, with no URL
// ever written; concurrent workers' lines all arrive whole. The command line's side (a rerun
// makes no request for a filtered URL) is in tests/e2e/test_image_filters_rerun.cpp.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "imgfetch/cli/options.hpp"
#include "imgfetch/files/output_dir.hpp"
#include "imgfetch/list/shard.hpp"
#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/filter_memory.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace {

using test::read_file;
using test::write_file;

TransferOptions memory_test_filters(std::uint32_t min_width) {
    TransferOptions settings;
    settings.filters.min_width = min_width;
    return settings;
}

TEST(FilterFingerprint, IsEmptyWithoutFiltersAndChangesWithEachFilter) {
    EXPECT_EQ(filter_fingerprint(TransferOptions{}), "");
    const std::string base = filter_fingerprint(memory_test_filters(200));
    EXPECT_EQ(base.size(), 16U);
    EXPECT_EQ(filter_fingerprint(memory_test_filters(200)), base) << "deterministic";
    EXPECT_NE(filter_fingerprint(memory_test_filters(201)), base);
    std::vector<TransferOptions> variants(7, memory_test_filters(200));
    variants[0].filters.min_height = 1;
    variants[1].filters.min_pixels = 1;
    variants[2].filters.max_pixels = 1;
    variants[3].filters.min_size = 1;
    variants[4].filters.types = {"png"};
    variants[5].filters.reject_types = {"png"};
    variants[6].filters.reject_types = {"gif"};
    std::vector<std::string> seen{base};
    for (const TransferOptions& variant : variants) {
        const std::string print = filter_fingerprint(variant);
        for (const std::string& other : seen) {
            EXPECT_NE(print, other);
        }
        seen.push_back(print);
    }
}

TEST(FilterFingerprint, FollowsTheRejectHashFilesContentsAndNamesAMissingFile) {
    const test::TempDir temp;
    const auto hashes = temp.path() / "placeholders.txt";
    write_file(hashes, std::string(64, 'a') + "\n");
    TransferOptions settings;
    settings.reject_hash_file = hashes.string();
    const std::string first = filter_fingerprint(settings);
    EXPECT_EQ(first.size(), 16U);
    write_file(hashes, std::string(64, 'b') + "\n");
    EXPECT_NE(filter_fingerprint(settings), first) << "a new placeholder may filter more";
    settings.reject_hash_file = (temp.path() / "missing.txt").string();
    try {
        filter_fingerprint(settings);
        FAIL() << "a missing --reject-hash file must be an error";
    } catch (const SetupError& e) {
        EXPECT_TRUE(test::contains(e.what(), "missing.txt")) << e.what();
    }
}

TEST(FilterMemory, ARerunWithTheSameFingerprintRecallsAndAnotherDoesNot) {
    const test::TempDir temp;
    const OutputDir dir((temp.path() / "out").string());
    const std::string url = "http://user:hunter2@127.0.0.1/small.png";
    {
        FilterMemory first(dir, std::nullopt, "0123456789abcdef");
        EXPECT_EQ(first.recalled(), 0U);
        EXPECT_EQ(first.recall(url), std::nullopt);
        first.remember(url, "width 120 < --min-width 200");
    }
    const std::string file = read_file(temp.path() / "out" / ".imgfetch.filtered");
    EXPECT_FALSE(test::contains(file, "hunter2")) << "no URL (and no credential) on disk";
    EXPECT_FALSE(test::contains(file, "127.0.0.1"));
    EXPECT_TRUE(test::contains(file, "width 120 < --min-width 200")) << file;

    const FilterMemory same(dir, std::nullopt, "0123456789abcdef");
    EXPECT_EQ(same.recall(url), "width 120 < --min-width 200");
    EXPECT_EQ(same.recall("http://127.0.0.1/other.png"), std::nullopt);
    const FilterMemory changed(dir, std::nullopt, "fedcba9876543210");
    EXPECT_EQ(changed.recall(url), std::nullopt) << "changed filters fetch again";
}

TEST(FilterMemory, ReadsEveryShardsFileAndIgnoresACutOrForeignLine) {
    const test::TempDir temp;
    const OutputDir dir((temp.path() / "out").string());
    {
        FilterMemory shard(dir, Shard{2, 3}, "0123456789abcdef");
        shard.remember("http://127.0.0.1/a.png", "type gif rejected by --reject-types");
    }
    EXPECT_TRUE(std::filesystem::exists(temp.path() / "out" / ".imgfetch.shard-2-of-3.filtered"));
    // A line a crash cut short, and text that is not ours: neither recalls anything.
    const auto own = temp.path() / "out" / ".imgfetch.filtered";
    write_file(own, std::string(64, 'c') + " 0123456789abcdef\n" + "not a memory line\n");

    const FilterMemory unsharded(dir, std::nullopt, "0123456789abcdef");
    EXPECT_EQ(unsharded.recalled(), 1U);
    EXPECT_EQ(unsharded.recall("http://127.0.0.1/a.png"), "type gif rejected by --reject-types");
}

TEST(FilterMemory, ConcurrentWorkersLinesAllArriveWhole) {
    const test::TempDir temp;
    const OutputDir dir((temp.path() / "out").string());
    constexpr int k_threads = 8;
    constexpr int k_each = 250;
    {
        FilterMemory memory(dir, std::nullopt, "0123456789abcdef");
        std::vector<std::thread> workers;
        for (int t = 0; t < k_threads; ++t) {
            workers.emplace_back([&memory, t] {
                for (int i = 0; i < k_each; ++i) {
                    memory.remember("http://127.0.0.1/" + std::to_string(t) + "/" +
                                        std::to_string(i) + ".png",
                                    "reason\nwith a newline " + std::to_string(i));
                }
            });
        }
        for (std::thread& worker : workers) {
            worker.join();
        }
    }
    const FilterMemory next(dir, std::nullopt, "0123456789abcdef");
    EXPECT_EQ(next.recalled(), static_cast<std::size_t>(k_threads * k_each));
    EXPECT_EQ(next.recall("http://127.0.0.1/7/249.png"), "reason with a newline 249")
        << "a reason is kept on one line";
}

} // namespace
} // namespace imgfetch
