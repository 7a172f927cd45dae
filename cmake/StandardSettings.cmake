# Warnings for imgfetch's own code only: an INTERFACE target that our targets link privately,
# so third-party headers are never compiled with -Werror.
add_library(imgfetch_warnings INTERFACE)
target_compile_options(imgfetch_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
                       -Wimplicit-fallthrough)
# GCC 12 at -O3 (a user's Release build) warns -Wrestrict inside libstdc++ for
# `"literal" + std::string&&` (GCC bug 105329, a false positive: it reports a memcpy of 2^63
# bytes); every such expression in our code and tests would warn. Off for GCC 12 only; other
# compilers keep the warning.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(imgfetch_warnings INTERFACE -Wno-restrict)
endif()
if(IMGFETCH_WERROR)
    target_compile_options(imgfetch_warnings INTERFACE -Werror)
endif()

# Bounds-checked standard containers in Debug builds.
add_compile_definitions($<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)

# Sanitizers apply to everything we compile (library, tool, tests), so they see every access.
if(IMGFETCH_SANITIZE)
    # -g1: line tables, all a sanitizer's stack traces need, at less compile and link time than -g.
    set(_san_flags -fsanitize=${IMGFETCH_SANITIZE} -fno-omit-frame-pointer -g1)
    if(IMGFETCH_SANITIZE MATCHES "undefined")
        list(APPEND _san_flags -fno-sanitize-recover=undefined)
    endif()
    add_compile_options(${_san_flags})
    add_link_options(-fsanitize=${IMGFETCH_SANITIZE})
endif()

# The fuzz build (scripts/fuzz.sh, clang): the whole library carries libFuzzer's coverage
# instrumentation and ASan+UBSan, so the fuzz targets link imgfetch_core like the tests do.
if(IMGFETCH_BUILD_FUZZERS AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # _GLIBCXX_ASSERTIONS: libstdc++'s bounds checks (std::span, operator[]), which catch a read
    # past a span that still lands inside the same heap block, where ASan sees nothing.
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                        -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
                        -D_GLIBCXX_ASSERTIONS)
    add_link_options(-fsanitize=address,undefined)
endif()
