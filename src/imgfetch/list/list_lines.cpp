#include "imgfetch/list/list_lines.hpp"

#include <optional>

#include "imgfetch/list/column_row.hpp"
#include "imgfetch/list/csv_reader.hpp"
#include "imgfetch/list/json_list_line.hpp"

namespace imgfetch {

namespace {

class TextLines final : public ListLines {
public:
    explicit TextLines(std::istream& in) : m_reader(in) {}
    bool next(ListReader::Line& out) override { return m_reader.next(out); }

private:
    ListReader m_reader;
};

// The same line reader as a text list (BOM, CRLF, length limit), each line parsed as JSON.
class JsonLines final : public ListLines {
public:
    explicit JsonLines(std::istream& in) : m_reader(in) {}

    bool next(ListReader::Line& out) override {
        ListReader::RawLine raw;
        if (!m_reader.next_raw(raw)) {
            return false;
        }
        out.number = raw.number;
        out.parsed = raw.text
                         ? parse_json_list_line(*raw.text)
                         : ParsedLine{BadLine{"line longer than " +
                                              std::to_string(ListReader::k_default_max_line_bytes) +
                                              " bytes"}};
        return true;
    }

private:
    ListReader m_reader;
};

class ColumnLines final : public ListLines {
public:
    ColumnLines(std::istream& in, char separator, const ListFormat& format,
                const std::string& list_name)
        : m_reader(in, separator) {
        if (m_reader.next(m_record)) {
            m_columns = find_columns(m_record, format, list_name);
        }
    }

    bool next(ListReader::Line& out) override {
        if (!m_columns || !m_reader.next(m_record)) {
            return false;
        }
        out.number = m_record.line;
        out.parsed = parse_csv_row(m_record, *m_columns);
        return true;
    }

private:
    CsvReader m_reader;
    CsvRecord m_record;                   // reused row after row
    std::optional<ListColumns> m_columns; // nothing: the list is empty, not even a header
};

} // namespace

std::unique_ptr<ListLines> open_list_lines(std::istream& in, InputFormat format,
                                           const ListFormat& columns,
                                           const std::string& list_name) {
    switch (format) {
    case InputFormat::csv:
        return std::make_unique<ColumnLines>(in, ',', columns, list_name);
    case InputFormat::tsv:
        return std::make_unique<ColumnLines>(in, '\t', columns, list_name);
    case InputFormat::jsonl:
        return std::make_unique<JsonLines>(in);
    case InputFormat::auto_detect:
    case InputFormat::text:
    case InputFormat::pages: // the same lines; their URLs are pages (task_source.cpp)
        break;
    }
    return std::make_unique<TextLines>(in);
}

} // namespace imgfetch
