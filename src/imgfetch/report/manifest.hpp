#pragma once

#include <string>
#include <string_view>

#include "imgfetch/transfer/transfer_result.hpp"
#include "imgfetch/util/spill_log.hpp"
#include "imgfetch/util/string_table.hpp"

namespace imgfetch {

// sha256sum's line for a file `name` with the digest `hex`: "<hex>  <name>\n". A name with a
// backslash, a newline or a carriage return is written as GNU coreutils writes it: the line
// starts with a backslash and those bytes become "\\", "\n" and "\r". Pure.
std::string sha256sum_line(std::string_view hex, std::string_view name);

// Throws SetupError now when the manifest could not be written at the end of the run.
void check_manifest_writable(const std::string& path);

// --manifest FILE: a sha256sum line for every file this run saved (status ok), named relative
// to DIR, so `cd DIR && sha256sum -c FILE` verifies them later. Fed in list order while the
// run goes on; the lines wait in a SpillLog (64 KiB in memory, the rest in an unnamed
// temporary file in `spill_dir`) and are written at the end through a temporary and a rename:
// a manifest on disk is always whole. Not thread-safe.
class ManifestWriter {
public:
    explicit ManifestWriter(std::string spill_dir = default_spill_dir());

    // Keeps the line of a saved file (status ok with a sha256; others are ignored). Never
    // throws: a failure is kept, and write() throws it.
    void add(const TransferResult& result) noexcept;

    // Writes the manifest to `path` via a temporary and a rename. Throws SetupError.
    void write(const std::string& path) const;

private:
    SpillLog m_lines;
    std::string m_error; // the first failure of add()
};

} // namespace imgfetch
