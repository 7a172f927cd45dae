#pragma once

// --resume's steps in a transfer (download_link): opening the URL's partial download before the
// request, and keeping it after a failure that may pass. Private to the transfer layer.

namespace imgfetch {

struct Attempt;
class OutputDir;
struct PerTransfer;

// The URL's stable temporary, locked, becomes the body's file, and the bytes it already holds
// (with their validator) make the request ask for the rest only (Range, If-Range). Nothing when
// another transfer holds it, or (with a warning) when the name cannot be opened or locked.
void open_partial(PerTransfer& transfer);

// Says once a run (whichever thread comes first) that `dir` cannot keep partial downloads.
void warn_partials_unsupported(const OutputDir& dir);

// After the attempt: the partial stays for the next attempt or run when the failure may pass (a
// cut, a stall, a timeout, a 5xx, an interrupt) and it holds bytes that can be continued; else
// it goes with `transfer`, like any temporary. `complete`: the whole body arrived (a failure then
// is about the bytes themselves: nothing to continue).
void keep_partial(PerTransfer& transfer, const Attempt& attempt, bool complete);

} // namespace imgfetch
