#pragma once

#include "imgfetch/cli/options.hpp"

namespace imgfetch::test {

// The transfer settings an in-process download test starts from: the command line's defaults
// (options.hpp), except three that let a test watch one plain request: a file already there is
// fetched again (no skip), no size cap, no retries. A test that wants more says so by name.
inline TransferOptions plain_transfer() {
    TransferOptions settings;
    settings.existing = ExistingPolicy::overwrite;
    settings.max_size = 0;
    settings.retries = 0;
    return settings;
}

} // namespace imgfetch::test
