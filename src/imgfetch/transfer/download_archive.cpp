#include "imgfetch/transfer/download_archive.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "imgfetch/setup_error.hpp"
#include "imgfetch/util/error_text.hpp"
#include "imgfetch/util/text_escape.hpp"

#include <utility>

namespace imgfetch {

namespace {

constexpr const char* k_create_table = R"sql(
CREATE TABLE downloads (
    url           TEXT PRIMARY KEY NOT NULL,
    path          TEXT NOT NULL,
    sha256        TEXT,
    size          INTEGER NOT NULL,
    fetched       TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT
))sql";

constexpr const char* k_lookup =
    "SELECT path, sha256, size, fetched, etag, last_modified FROM downloads WHERE url = ?1";

// The time comes from SQLite so every shard writes it in one format (ISO 8601, UTC).
constexpr const char* k_record =
    "INSERT OR REPLACE INTO downloads (url, path, sha256, size, fetched, etag, last_modified) "
    "VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?5, ?6)";

// A column's text, "" for NULL.
std::string text_column(sqlite3_stmt* statement, int column) {
    const unsigned char* text = sqlite3_column_text(statement, column);
    return text == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(text),
                             static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

// An optional field: "" is stored as NULL, so `sqlite3` shows the absence plainly.
int bind_optional(sqlite3_stmt* statement, int index, const std::string& text) {
    if (text.empty()) {
        return sqlite3_bind_null(statement, index);
    }
    return sqlite3_bind_text(statement, index, text.c_str(), static_cast<int>(text.size()),
                             SQLITE_TRANSIENT);
}

// Leaves a statement ready for its next use (and its bindings released) on every path.
class ResetOnExit {
public:
    explicit ResetOnExit(sqlite3_stmt* statement) : m_statement(statement) {}
    ~ResetOnExit() {
        sqlite3_reset(m_statement);
        sqlite3_clear_bindings(m_statement);
    }
    ResetOnExit(const ResetOnExit&) = delete;
    ResetOnExit& operator=(const ResetOnExit&) = delete;

private:
    sqlite3_stmt* m_statement;
};

} // namespace

void DownloadArchive::CloseDatabase::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}

void DownloadArchive::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
    sqlite3_finalize(statement);
}

namespace {

// flock() on the archive's directory for the time of its set-up. Two shards opening a new
// archive at once race in "PRAGMA journal_mode = WAL", which SQLite may answer SQLITE_BUSY at
// once, without waiting in its busy handler: the set-ups take turns instead (each takes
// milliseconds). The directory, not the file: closing any descriptor of the database file would
// drop the POSIX locks SQLite holds on it, and with them WAL's guarantees.
class SetupTurn {
public:
    explicit SetupTurn(const std::string& file)
        : m_fd(::open(directory_of(file).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        if (m_fd >= 0 && ::flock(m_fd, LOCK_EX) != 0) {
            ::close(std::exchange(m_fd, -1));
        }
        // Without the lock (a missing directory), SQLite's own open reports the error.
    }
    ~SetupTurn() {
        if (m_fd >= 0) {
            ::close(m_fd); // releases the lock
        }
    }
    SetupTurn(const SetupTurn&) = delete;
    SetupTurn& operator=(const SetupTurn&) = delete;

private:
    static std::string directory_of(const std::string& file) {
        const std::size_t slash = file.rfind('/');
        return slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
    }

    int m_fd;
};

} // namespace

DownloadArchive::DownloadArchive(std::string file, int busy_timeout_ms) : m_file(std::move(file)) {
    const SetupTurn turn(m_file);
    sqlite3* db = nullptr;
    const int opened =
        sqlite3_open_v2(m_file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    m_db.reset(db); // a handle comes back even on failure, and must be closed
    if (opened != SQLITE_OK) {
        fail("cannot open it");
    }
    sqlite3_extended_result_codes(m_db.get(), 1);
    sqlite3_busy_timeout(m_db.get(), busy_timeout_ms);
    // READWRITE falls back to read-only without an error: every later record would fail.
    if (sqlite3_db_readonly(m_db.get(), "main") == 1) {
        fail("not writable");
    }
    // The first statement that reads the file: "file is not a database" shows here.
    execute("PRAGMA journal_mode = WAL", "cannot switch it to WAL mode");
    // WAL makes NORMAL safe against corruption; a power cut may lose the last records only.
    execute("PRAGMA synchronous = NORMAL", "cannot set synchronous mode");
    check_schema();
    m_lookup = prepare(k_lookup);
    m_record = prepare(k_record);
}

DownloadArchive::~DownloadArchive() = default;

void DownloadArchive::fail(const std::string& what) const {
    std::string message = "--archive " + printable(m_file) + ": " + what;
    if (m_db) {
        const int code = sqlite3_extended_errcode(m_db.get());
        if ((code & 0xFF) == SQLITE_BUSY) {
            message += " (locked by another process past the busy timeout)";
        } else if (code != SQLITE_OK) {
            message += std::string(" (") + sqlite3_errmsg(m_db.get()) + ")";
        }
    }
    throw SetupError(message);
}

void DownloadArchive::execute(const char* sql, const char* what) {
    if (sqlite3_exec(m_db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        fail(what);
    }
}

DownloadArchive::Statement DownloadArchive::prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(m_db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
        SQLITE_OK) {
        fail("not an imgfetch archive");
    }
    return Statement(statement);
}

void DownloadArchive::check_schema() {
    // The write lock, taken at once: a database another process keeps locked is an error now,
    // not a miss on every file later; and two shards creating the table never race.
    execute("BEGIN IMMEDIATE", "cannot lock it");
    const Statement version = prepare("PRAGMA user_version");
    const Statement objects = prepare("SELECT count(*) FROM sqlite_master");
    if (sqlite3_step(version.get()) != SQLITE_ROW || sqlite3_step(objects.get()) != SQLITE_ROW) {
        fail("cannot read its schema");
    }
    const int schema = sqlite3_column_int(version.get(), 0);
    const int object_count = sqlite3_column_int(objects.get(), 0);
    if (schema > k_schema_version) {
        fail("written by a newer imgfetch (schema version " + std::to_string(schema) +
             ", this one knows " + std::to_string(k_schema_version) + "); not changed");
    }
    if (schema == 0 && object_count > 0) {
        fail("an SQLite database of something else (no imgfetch schema version); not changed");
    }
    if (schema == 0) {
        execute(k_create_table, "cannot create its table");
        execute(("PRAGMA user_version = " + std::to_string(k_schema_version)).c_str(),
                "cannot set its schema version");
    }
    // Pages the checks above did not read may still be damaged: find them before the run.
    const Statement check = prepare("PRAGMA quick_check(1)");
    if (sqlite3_step(check.get()) != SQLITE_ROW || text_column(check.get(), 0) != "ok") {
        fail("corrupt (PRAGMA quick_check failed)");
    }
    execute("COMMIT", "cannot commit its schema");
}

std::string DownloadArchive::key_of(std::string_view normalized_url) {
    return redact_credentials(normalized_url);
}

std::optional<ArchivedFile> DownloadArchive::lookup(const std::string& key) {
    const std::lock_guard<std::mutex> lock(m_mutex); // the connection and m_lookup
    sqlite3_stmt* statement = m_lookup.get();
    const ResetOnExit reset(statement);
    sqlite3_bind_text(statement, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_STATIC);
    const int step = sqlite3_step(statement);
    if (step == SQLITE_DONE) {
        return std::nullopt;
    }
    if (step != SQLITE_ROW) {
        spdlog::warn("--archive {}: cannot read the row of {}: {}; fetching it", printable(m_file),
                     printable(key), sqlite3_errmsg(m_db.get()));
        return std::nullopt;
    }
    ArchivedFile file;
    file.path = text_column(statement, 0);
    file.sha256 = text_column(statement, 1);
    file.size = static_cast<std::uint64_t>(sqlite3_column_int64(statement, 2));
    file.fetched = text_column(statement, 3);
    file.etag = text_column(statement, 4);
    file.last_modified = text_column(statement, 5);
    return file;
}

bool DownloadArchive::record(const std::string& key, const ArchivedFile& file) {
    const std::lock_guard<std::mutex> lock(m_mutex); // the connection, m_record and m_missed
    sqlite3_stmt* statement = m_record.get();
    const ResetOnExit reset(statement);
    const bool bound =
        sqlite3_bind_text(statement, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_STATIC) ==
            SQLITE_OK &&
        sqlite3_bind_text(statement, 2, file.path.c_str(), static_cast<int>(file.path.size()),
                          SQLITE_STATIC) == SQLITE_OK &&
        bind_optional(statement, 3, file.sha256) == SQLITE_OK &&
        sqlite3_bind_int64(statement, 4, static_cast<sqlite3_int64>(file.size)) == SQLITE_OK &&
        bind_optional(statement, 5, file.etag) == SQLITE_OK &&
        bind_optional(statement, 6, file.last_modified) == SQLITE_OK;
    // One autocommit statement: the write lock is held for this insert only.
    if (bound && sqlite3_step(statement) == SQLITE_DONE) {
        return true;
    }
    ++m_missed;
    spdlog::warn("--archive {}: {} was saved as {} but not archived ({}): the next run fetches it "
                 "again",
                 printable(m_file), printable(key), printable(file.path),
                 sqlite3_errmsg(m_db.get()));
    return false;
}

std::size_t DownloadArchive::missed() const {
    const std::lock_guard<std::mutex> lock(m_mutex); // m_missed
    return m_missed;
}

} // namespace imgfetch
