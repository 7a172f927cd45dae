#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace imgfetch {

// One row of the archive: what a run saved for a URL.
struct ArchivedFile {
    std::string path;          // where it was saved, relative to DIR
    std::string sha256;        // hex digest; "" when not computed (no --checksum sha256)
    std::uint64_t size = 0;    // bytes saved
    std::string fetched;       // when (ISO 8601 UTC, "2026-12-01T21:48:38Z"); set by record()
    std::string etag;          // the response's ETag; "" when none
    std::string last_modified; // its Last-Modified as an HTTP date; "" when none
};

// --archive FILE (issue 16 part 2): an SQLite database of every file fetched, so a URL found
// there is not fetched again even when its file was moved or deleted (gallery-dl's
// --download-archive). Table `downloads` (url PRIMARY KEY, path, sha256, size, fetched, etag,
// last_modified), schema version k_schema_version in PRAGMA user_version.
//
// Concurrency: the database is opened in WAL mode with a busy timeout, so shards (separate
// processes on one DIR and one FILE) read while another writes, and each write is one short
// autocommit transaction. Within a process there is one connection and one mutex (m_mutex)
// that guards it and its prepared statements: a lookup or an insert takes microseconds next to
// a transfer, and a statement handle is not safe on two threads at once. Every member function
// is thread-safe.
class DownloadArchive {
public:
    static constexpr int k_schema_version = 1;
    static constexpr int k_default_busy_timeout_ms = 10'000;

    // Opens or creates `file`, checks it (an SQLite database, not corrupt, writable, of a schema
    // this version knows; a newer schema is refused, never rewritten) and creates the table in
    // an empty one. Takes the write lock once, so a database that stays locked past
    // `busy_timeout_ms` is found now. Throws SetupError naming the file on every failure.
    explicit DownloadArchive(std::string file, int busy_timeout_ms = k_default_busy_timeout_ms);
    ~DownloadArchive();
    DownloadArchive(const DownloadArchive&) = delete;
    DownloadArchive& operator=(const DownloadArchive&) = delete;

    // Pure: the key a URL is archived under: the normalized URL with its userinfo replaced by
    // "***" (the archive never holds a password).
    static std::string key_of(std::string_view normalized_url);

    // The row of `key`, or nothing. A read error is logged and counts as "not archived" (the URL
    // is fetched again rather than lost).
    std::optional<ArchivedFile> lookup(const std::string& key);

    // Inserts or replaces the row of `key` (fetched = now). Returns false, logs a warning and
    // counts a miss when the write fails (disk full, locked past the timeout): the file is
    // saved, only the archive lacks it.
    bool record(const std::string& key, const ArchivedFile& file);

    // The records that failed so far (the run's exit code is 1 when any did).
    std::size_t missed() const;

    const std::string& file() const { return m_file; }

private:
    struct CloseDatabase {
        void operator()(sqlite3* db) const;
    };
    struct FinalizeStatement {
        void operator()(sqlite3_stmt* statement) const;
    };
    using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

    [[noreturn]] void fail(const std::string& what) const;
    void execute(const char* sql, const char* what);
    void check_schema();
    Statement prepare(const char* sql);

    const std::string m_file;
    mutable std::mutex m_mutex; // guards m_db, both statements and m_missed
    std::unique_ptr<sqlite3, CloseDatabase> m_db;
    Statement m_lookup;
    Statement m_record;
    std::size_t m_missed = 0;
};

} // namespace imgfetch
