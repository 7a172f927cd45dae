#pragma once

#include <cstddef>
#include <istream>
#include <streambuf>
#include <string>
#include <vector>

namespace imgfetch {

// One record (row) of a CSV or TSV list.
struct CsvRecord {
    std::size_t line = 0;            // 1-based physical line the record starts on
    std::vector<std::string> fields; // unquoted; complete only when `error` is empty
    std::string error;               // not empty: the record is unusable, and why
};

// Reads the records of a CSV (or, with a tab separator, TSV) list one at a time from a stream
// it does not own, RFC 4180 style: fields separated by `separator`, records by LF or CRLF; a
// field that starts with '"' is quoted and may hold separators, line breaks and '"' written
// twice. A '"' inside an unquoted field is kept as it is. A UTF-8 BOM before the first record
// is skipped.
//
// Memory stays flat whatever the input: a record longer than `max_record_bytes` is reported
// (error) and the rest of its physical line skipped, which also resynchronises after a quote
// that is never closed. A record with a bad quote (text after a closing '"') is reported the
// same way. Line numbers count every '\n', those inside quoted fields too, so a record's
// number is its first line's in any editor. Not thread-safe: one thread reads.
class CsvReader {
public:
    static constexpr std::size_t k_default_max_record_bytes = 64 * 1024;

    CsvReader(std::istream& in, char separator,
              std::size_t max_record_bytes = k_default_max_record_bytes);

    // The next record into `out` (its strings reused). Returns false at end of input.
    bool next(CsvRecord& out);

private:
    int get();
    int peek();
    void skip_bom();
    void skip_rest_of_line();
    bool append(CsvRecord& out, char c);

    std::streambuf* m_in;
    char m_separator;
    std::size_t m_max_record_bytes;
    std::size_t m_line = 1; // the line the next byte is on
    std::size_t m_record_bytes = 0;
    std::size_t m_used_fields = 0; // fields of `out` in use; the rest keep their capacity
    std::string m_pending;         // bytes read while looking for a BOM, returned first
    std::size_t m_pending_at = 0;
    bool m_started = false;
    bool m_done = false;
};

} // namespace imgfetch
