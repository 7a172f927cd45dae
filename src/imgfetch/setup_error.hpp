#pragma once

#include <stdexcept>

namespace imgfetch {

// A fatal problem before or around the run (unreadable list, unusable output directory):
// thrown by setup code and caught once near main(). A failed URL is never a SetupError.
class SetupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace imgfetch
