// DownloadArchive against real SQLite files: record and look up, reopen, the schema version,
// files that are not (or no longer) good archives, a lock held past the busy timeout by a
// second connection, and the key that never holds a password.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/transfer/download_archive.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace imgfetch {
namespace download_archive_test {

// A plain sqlite3 connection: the second process's view, or a hand-made database.
class RawDatabase {
public:
    explicit RawDatabase(const std::filesystem::path& file) {
        EXPECT_EQ(sqlite3_open(file.c_str(), &m_db), SQLITE_OK);
    }
    ~RawDatabase() { sqlite3_close(m_db); }
    RawDatabase(const RawDatabase&) = delete;
    RawDatabase& operator=(const RawDatabase&) = delete;

    int execute(const std::string& sql) {
        return sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    std::string first_text(const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        std::string text;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_text(statement, 0) != nullptr) {
            text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        }
        sqlite3_finalize(statement);
        return text;
    }

private:
    sqlite3* m_db = nullptr;
};

ArchivedFile sample_row() {
    ArchivedFile row;
    row.path = "host/a/photo.jpg";
    row.sha256 = std::string(64, 'a');
    row.size = 1234;
    row.etag = "\"v1\"";
    row.last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
    return row;
}

// The SetupError message of opening `file`, or "" when it opened.
std::string open_error(const std::filesystem::path& file, int busy_timeout_ms = 200) {
    try {
        const DownloadArchive archive(file.string(), busy_timeout_ms);
    } catch (const SetupError& e) {
        return e.what();
    }
    return "";
}

class DownloadArchiveTest : public ::testing::Test {
protected:
    test::TempDir temp;
    std::filesystem::path file = temp / "archive.sqlite";
};

TEST_F(DownloadArchiveTest, ARecordedUrlIsFoundWithEveryField) {
    DownloadArchive archive(file.string());
    EXPECT_FALSE(archive.lookup("http://example.com/photo.jpg"));

    ASSERT_TRUE(archive.record("http://example.com/photo.jpg", sample_row()));

    const auto row = archive.lookup("http://example.com/photo.jpg");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->path, "host/a/photo.jpg");
    EXPECT_EQ(row->sha256, std::string(64, 'a'));
    EXPECT_EQ(row->size, 1234U);
    EXPECT_EQ(row->etag, "\"v1\"");
    EXPECT_EQ(row->last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(row->fetched.size(), std::string("2026-12-01T21:48:38Z").size()) << row->fetched;
    EXPECT_FALSE(archive.lookup("http://example.com/other.jpg"));
    EXPECT_EQ(archive.missed(), 0U);
}

TEST_F(DownloadArchiveTest, ARowSurvivesReopeningAndARecordReplacesIt) {
    {
        DownloadArchive archive(file.string());
        ASSERT_TRUE(archive.record("http://example.com/photo.jpg", sample_row()));
    }
    DownloadArchive again(file.string());
    ASSERT_TRUE(again.lookup("http://example.com/photo.jpg"));
    ArchivedFile newer = sample_row();
    newer.etag.clear(); // stored as NULL, read back as ""
    newer.size = 99;
    ASSERT_TRUE(again.record("http://example.com/photo.jpg", newer));
    const auto row = again.lookup("http://example.com/photo.jpg");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->size, 99U);
    EXPECT_EQ(row->etag, "");
    RawDatabase raw(file);
    EXPECT_EQ(raw.first_text("SELECT count(*) FROM downloads"), "1");
    EXPECT_EQ(raw.first_text("SELECT count(*) FROM downloads WHERE etag IS NULL"), "1");
}

TEST_F(DownloadArchiveTest, ANewDatabaseHasSchemaVersionOneInWalMode) {
    { const DownloadArchive archive(file.string()); }
    RawDatabase raw(file);
    EXPECT_EQ(raw.first_text("PRAGMA user_version"), "1");
    EXPECT_EQ(raw.first_text("PRAGMA journal_mode"), "wal");
}

TEST_F(DownloadArchiveTest, ANewerSchemaVersionIsRefusedAndLeftAlone) {
    {
        RawDatabase raw(file);
        ASSERT_EQ(raw.execute("CREATE TABLE downloads (url TEXT); PRAGMA user_version = 2"),
                  SQLITE_OK);
    }
    const std::string error = open_error(file);
    EXPECT_TRUE(test::contains(error, file.string())) << error;
    EXPECT_TRUE(test::contains(error, "newer imgfetch (schema version 2")) << error;
    RawDatabase raw(file);
    EXPECT_EQ(raw.first_text("PRAGMA user_version"), "2");
}

TEST_F(DownloadArchiveTest, AnotherApplicationsDatabaseIsRefused) {
    {
        RawDatabase raw(file);
        ASSERT_EQ(raw.execute("CREATE TABLE contacts (name TEXT)"), SQLITE_OK);
    }
    EXPECT_TRUE(test::contains(open_error(file), "something else")) << open_error(file);
}

TEST_F(DownloadArchiveTest, AFileThatIsNotADatabaseIsRefusedByName) {
    test::write_file(file, std::string(8192, 'x'));
    const std::string error = open_error(file);
    EXPECT_TRUE(test::contains(error, "--archive " + file.string())) << error;
    EXPECT_TRUE(test::contains(error, "not a database")) << error;
}

TEST_F(DownloadArchiveTest, ADatabaseWithADamagedPageIsRefused) {
    {
        DownloadArchive archive(file.string());
        for (int i = 0; i < 300; ++i) { // several pages of rows and index
            ASSERT_TRUE(
                archive.record("http://example.com/" + std::to_string(i) + ".jpg", sample_row()));
        }
    } // the last connection checkpoints the WAL into the file
    ASSERT_GT(std::filesystem::file_size(file), 3U * 4096U);
    {
        std::fstream bytes(file, std::ios::in | std::ios::out | std::ios::binary);
        bytes.seekp(4096 + 16); // inside page 2, past its header's first bytes
        const std::string junk(4000, '\x5a');
        bytes.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    const std::string error = open_error(file);
    EXPECT_TRUE(test::contains(error, file.string())) << error;
    EXPECT_FALSE(error.empty());
}

TEST_F(DownloadArchiveTest, ADatabaseLockedPastTheBusyTimeoutIsRefused) {
    { const DownloadArchive archive(file.string()); }
    RawDatabase holder(file);
    ASSERT_EQ(holder.execute("BEGIN EXCLUSIVE"), SQLITE_OK);

    const std::string error = open_error(file, 100);

    EXPECT_TRUE(test::contains(error, "locked by another process")) << error;
    EXPECT_TRUE(test::contains(error, file.string())) << error;
    ASSERT_EQ(holder.execute("COMMIT"), SQLITE_OK);
    EXPECT_EQ(open_error(file, 100), "") << "usable again once the lock is gone";
}

TEST_F(DownloadArchiveTest, ARecordLockedOutIsAMissNotAnException) {
    DownloadArchive archive(file.string(), 100);
    RawDatabase holder(file);
    ASSERT_EQ(holder.execute("BEGIN EXCLUSIVE"), SQLITE_OK);

    EXPECT_FALSE(archive.record("http://example.com/photo.jpg", sample_row()));
    EXPECT_EQ(archive.missed(), 1U);

    ASSERT_EQ(holder.execute("COMMIT"), SQLITE_OK);
    EXPECT_TRUE(archive.record("http://example.com/photo.jpg", sample_row()));
    EXPECT_EQ(archive.missed(), 1U);
}

TEST_F(DownloadArchiveTest, AnUnwritablePlaceIsRefused) {
    EXPECT_TRUE(test::contains(open_error(temp / "no-such-dir" / "archive.sqlite"), "cannot open"));
    test::write_file(file, "");
    { const DownloadArchive archive(file.string()); }
    std::filesystem::permissions(file, std::filesystem::perms::owner_read);
    if (::geteuid() != 0) { // root writes anyway
        EXPECT_TRUE(test::contains(open_error(file), "not writable")) << open_error(file);
    }
}

TEST(DownloadArchiveKey, TheKeyNeverHoldsAPassword) {
    EXPECT_EQ(DownloadArchive::key_of("http://user:secret@example.com/a.jpg"),
              "http://***@example.com/a.jpg");
    EXPECT_EQ(DownloadArchive::key_of("http://example.com/a.jpg"), "http://example.com/a.jpg");
}

} // namespace download_archive_test
} // namespace imgfetch
