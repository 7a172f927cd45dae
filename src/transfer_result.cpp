#include "imgfetch/transfer_result.hpp"

namespace imgfetch {

std::string_view to_string(Status status) {
    switch (status) {
    case Status::ok:
        return "ok";
    case Status::failed:
        return "failed";
    case Status::skipped:
        return "skipped";
    case Status::not_modified:
        return "not_modified";
    case Status::duplicate:
        return "duplicate";
    }
    return "failed";
}

} // namespace imgfetch
