#pragma once

// Everything about file names, for the files that use several parts of it. Each part has
// one job and its own header:
#include "imgfetch/list/content_disposition.hpp" // the name a Content-Disposition header gives
#include "imgfetch/list/name_allocator.hpp"      // unique names in list order (NameRegistry)
#include "imgfetch/list/name_from_url.hpp"       // the name a URL's path gives
#include "imgfetch/list/sanitize.hpp"            // the bytes a name may hold, its extension
