#include "imgfetch/util/string_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

// Every key gets the same fingerprint: only the stored keys can tell them apart.
std::uint64_t colliding_hash(std::string_view /*key*/) {
    return 42;
}

std::string key_of(std::size_t i) {
    return "http://example.com/images/photo" + std::to_string(i) + ".jpg";
}

StringTable::Limits tiny_limits(const TempDir& dir) {
    StringTable::Limits limits;
    limits.memory_slots = 64;
    limits.log_buffer_bytes = 1024;
    limits.spill_dir = dir.path().string();
    return limits;
}

bool is_empty_dir(const std::filesystem::path& dir) {
    return std::filesystem::directory_iterator(dir) == std::filesystem::directory_iterator();
}

TEST(StringTable, FindsWhatWasInsertedAndNothingElse) {
    StringTable table;
    EXPECT_EQ(table.try_emplace("a", 1), std::make_pair(std::uint64_t{1}, true));
    EXPECT_EQ(table.try_emplace("b", 2), std::make_pair(std::uint64_t{2}, true));
    EXPECT_EQ(table.try_emplace("a", 3), std::make_pair(std::uint64_t{1}, false))
        << "a key already there keeps its first value";
    EXPECT_EQ(table.find("a"), std::uint64_t{1});
    EXPECT_EQ(table.find("b"), std::uint64_t{2});
    EXPECT_FALSE(table.contains("c"));
    EXPECT_FALSE(table.contains(""));
    EXPECT_TRUE(table.try_emplace("", 7).second) << "the empty string is a key like any other";
    EXPECT_EQ(table.find(""), std::uint64_t{7});
    EXPECT_EQ(table.size(), 3U);
    EXPECT_FALSE(table.spilled());
}

TEST(StringTable, AssignReplacesTheValueOrInserts) {
    StringTable table;
    table.assign("k", 1);
    table.assign("k", 2);
    EXPECT_EQ(table.find("k"), std::uint64_t{2});
    EXPECT_EQ(table.size(), 1U);
}

TEST(StringTable, KeysWithEqualFingerprintsAreAllKeptApart) {
    TempDir dir;
    for (const bool spill : {false, true}) {
        StringTable::Limits limits = tiny_limits(dir);
        if (!spill) {
            limits.memory_slots = std::size_t{1} << 20;
            limits.log_buffer_bytes = std::size_t{1} << 30;
        }
        StringTable table(limits, &colliding_hash);
        constexpr std::size_t k_keys = 300;
        for (std::size_t i = 0; i < k_keys; ++i) {
            ASSERT_TRUE(table.try_emplace(key_of(i), i).second) << key_of(i);
        }
        EXPECT_EQ(table.spilled(), spill);
        for (std::size_t i = 0; i < k_keys; ++i) {
            EXPECT_EQ(table.find(key_of(i)), std::optional<std::uint64_t>(i));
            EXPECT_FALSE(table.try_emplace(key_of(i), 0).second);
        }
        EXPECT_FALSE(table.contains(key_of(k_keys))) << "a colliding but new key is not there";
        EXPECT_FALSE(table.contains("x")) << "a colliding key of another length";
        table.assign(key_of(7), 1000);
        EXPECT_EQ(table.find(key_of(7)), std::uint64_t{1000});
        EXPECT_EQ(table.find(key_of(8)), std::uint64_t{8});
    }
}

TEST(StringTable, SpillsPastItsLimitsAndStaysExactWithBoundedMemory) {
    TempDir dir;
    StringTable table(tiny_limits(dir));
    constexpr std::size_t k_keys = 50'000;
    for (std::size_t i = 0; i < k_keys; ++i) {
        ASSERT_TRUE(table.try_emplace(key_of(i), i).second);
    }
    EXPECT_TRUE(table.spilled());
    // Index in memory: at most 64 slots of 16 bytes, then one 32-slot block; the log buffer
    // holds at most its limit plus one record. 50,000 keys in memory would be megabytes.
    EXPECT_LE(table.memory_bytes(), 8U * 1024U);
    for (std::size_t i = 0; i < k_keys; i += 7) {
        ASSERT_EQ(table.find(key_of(i)), std::optional<std::uint64_t>(i));
    }
    EXPECT_FALSE(table.contains(key_of(k_keys)));
    table.assign(key_of(3), 99); // a record already in the spilled log
    EXPECT_EQ(table.find(key_of(3)), std::uint64_t{99});
    EXPECT_EQ(table.find(key_of(4)), std::uint64_t{4});
    EXPECT_EQ(table.size(), k_keys);
    EXPECT_TRUE(is_empty_dir(dir.path())) << "spill files have no name: nothing to clean up";
}

TEST(StringTable, StaysInMemoryAndExactWhenNoSpillFileCanBeMade) {
    TempDir dir;
    StringTable::Limits limits = tiny_limits(dir);
    limits.spill_dir = (dir / "missing").string();
    StringTable table(limits);
    constexpr std::size_t k_keys = 2000;
    for (std::size_t i = 0; i < k_keys; ++i) {
        ASSERT_TRUE(table.try_emplace(key_of(i), i).second);
    }
    EXPECT_FALSE(table.spilled());
    for (std::size_t i = 0; i < k_keys; ++i) {
        ASSERT_EQ(table.find(key_of(i)), std::optional<std::uint64_t>(i));
    }
}

} // namespace
} // namespace imgfetch

namespace imgfetch {
namespace {

TEST(SpillLog, ReadsBackEveryByteAcrossTheBufferAndTheFileWithBoundedMemory) {
    const TempDir dir;
    SpillLog log("test bytes", dir.path().string(), 1024);
    std::vector<std::uint64_t> offsets;
    std::string all;
    for (std::size_t i = 0; i < 2000; ++i) {
        const std::string record = key_of(i) + "\n";
        offsets.push_back(log.append(record));
        all += record;
    }
    EXPECT_TRUE(log.spilled());
    EXPECT_EQ(log.size(), all.size());
    EXPECT_LE(log.memory_bytes(), 4U * 1024U);

    for (const std::size_t i : {std::size_t{0}, std::size_t{999}, std::size_t{1999}}) {
        std::string back(key_of(i).size() + 1, '\0');
        log.read(offsets[i], back.data(), back.size());
        EXPECT_EQ(back, key_of(i) + "\n");
    }
    log.overwrite(offsets[0], "X");    // in the file
    log.overwrite(offsets[1999], "Y"); // in the buffer
    all[offsets[0]] = 'X';
    all[offsets[1999]] = 'Y';
    std::string chunks;
    log.for_each_chunk([&chunks](std::string_view chunk) { chunks += chunk; });
    EXPECT_EQ(chunks, all);

    SpillLogReader reader(log);
    std::string read(all.size(), '\0');
    ASSERT_TRUE(reader.read(read.data(), 10));
    ASSERT_TRUE(reader.read(read.data() + 10, read.size() - 10));
    EXPECT_EQ(read, all);
    EXPECT_TRUE(reader.at_end());
    char more = 0;
    EXPECT_FALSE(reader.read(&more, 1));
}

TEST(SpillLog, KeepsEverythingInMemoryWhenNoSpillFileCanBeMade) {
    const TempDir dir;
    SpillLog log("test bytes", (dir / "missing").string(), 64);
    std::string all;
    for (std::size_t i = 0; i < 100; ++i) {
        log.append(key_of(i));
        all += key_of(i);
    }
    EXPECT_FALSE(log.spilled());
    std::string chunks;
    log.for_each_chunk([&chunks](std::string_view chunk) { chunks += chunk; });
    EXPECT_EQ(chunks, all);
}

} // namespace
} // namespace imgfetch
