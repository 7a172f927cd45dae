#include "imgfetch/list/csv_reader.hpp"

#include <string_view>

namespace imgfetch {

namespace {

constexpr int k_eof = std::char_traits<char>::eof();
constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

} // namespace

CsvReader::CsvReader(std::istream& in, char separator, std::size_t max_record_bytes)
    : m_in(in.rdbuf()), m_separator(separator), m_max_record_bytes(max_record_bytes) {}

// The stream buffer is read directly: one inline pointer bump per byte while it holds data.
int CsvReader::get() {
    if (m_pending_at < m_pending.size()) {
        return static_cast<unsigned char>(m_pending[m_pending_at++]);
    }
    return m_in->sbumpc();
}

int CsvReader::peek() {
    if (m_pending_at < m_pending.size()) {
        return static_cast<unsigned char>(m_pending[m_pending_at]);
    }
    return m_in->sgetc();
}

// Reads as much of a BOM as is there; bytes that turn out not to be one are read again.
void CsvReader::skip_bom() {
    for (const char expected : k_utf8_bom) {
        const int c = m_in->sgetc();
        if (c == k_eof || static_cast<char>(c) != expected) {
            return; // m_pending holds the partial match, returned first
        }
        m_pending += static_cast<char>(m_in->sbumpc());
    }
    m_pending.clear();
}

void CsvReader::skip_rest_of_line() {
    for (int c = get(); c != '\n'; c = get()) {
        if (c == k_eof) {
            m_done = true;
            return;
        }
    }
    ++m_line;
}

// Appends `c` to the last field; false (and the record's error) once it is too long.
bool CsvReader::append(CsvRecord& out, char c) {
    if (++m_record_bytes > m_max_record_bytes) {
        out.error = "row longer than " + std::to_string(m_max_record_bytes) + " bytes";
        return false;
    }
    out.fields[m_used_fields - 1] += c;
    if (c == '\n') {
        ++m_line; // inside quotes: the record goes on on the next line
    }
    return true;
}

bool CsvReader::next(CsvRecord& out) {
    if (!m_started) {
        m_started = true;
        skip_bom();
    }
    if (m_done || peek() == k_eof) {
        m_done = true;
        return false;
    }
    out.line = m_line;
    out.error.clear();
    m_record_bytes = 0;
    m_used_fields = 0;
    // Starts a field, reusing a string left from an earlier record.
    const auto new_field = [&] {
        if (m_used_fields == out.fields.size()) {
            out.fields.emplace_back();
        }
        out.fields[m_used_fields++].clear();
    };
    new_field();
    enum class State { field_start, unquoted, quoted, after_quote } state = State::field_start;
    for (int c = get();; c = get()) {
        if (c == k_eof) {
            if (state == State::quoted) {
                out.error = "a quoted field is not closed before the end of the list";
            }
            m_done = true;
            break;
        }
        const char byte = static_cast<char>(c);
        if (state == State::quoted) {
            if (byte == '"') {
                state = State::after_quote;
            } else if (!append(out, byte)) {
                skip_rest_of_line();
                break;
            }
            continue;
        }
        if (state == State::after_quote && byte == '"') {
            state = State::quoted; // "" inside quotes: one quote
            if (!append(out, byte)) {
                skip_rest_of_line();
                break;
            }
            continue;
        }
        if (byte == '\r' && (peek() == '\n' || peek() == k_eof)) {
            continue; // CRLF ends the record like LF (and a last line's CR is no data)
        }
        if (byte == '\n') {
            ++m_line;
            break;
        }
        if (byte == m_separator) {
            if (++m_record_bytes > m_max_record_bytes) {
                out.error = "row longer than " + std::to_string(m_max_record_bytes) + " bytes";
                skip_rest_of_line();
                break;
            }
            new_field();
            state = State::field_start;
            continue;
        }
        if (state == State::after_quote) {
            out.error = "text after a closing quote (a quote inside a quoted field is written "
                        "twice: \"\")";
            skip_rest_of_line();
            break;
        }
        if (state == State::field_start && byte == '"') {
            state = State::quoted;
            continue;
        }
        state = State::unquoted;
        if (!append(out, byte)) {
            skip_rest_of_line();
            break;
        }
    }
    out.fields.resize(m_used_fields);
    return true;
}

} // namespace imgfetch
