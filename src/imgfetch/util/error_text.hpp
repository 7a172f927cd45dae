#pragma once

#include <string>

namespace imgfetch {

// The text of an errno value, as std::strerror() gives it ("No such file or directory"), but
// thread-safe: std::strerror() may return a buffer that another thread's call overwrites.
std::string error_text(int errnum);

} // namespace imgfetch
