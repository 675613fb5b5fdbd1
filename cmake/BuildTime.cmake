# Build time. The test command builds the project four times on a two-core
# machine (release, ASan, TSan, the fuzzers), and most of each file's compile
# time went to parsing the same standard, Abseil and Catch2 headers again:
# a file of storage/ preprocesses to about 100,000 lines, one of server/ to
# 200,000. Precompiling those headers once per target pays for itself after
# two or three files. Only headers from outside the project are
# precompiled, so a missing include of our own headers (and the layering
# test, tests/layering) still fails to compile.
option(EMBERKV_PCH "Precompile the system headers most files include" ON)

set(EMBERKV_PCH_HEADERS
  <algorithm> <array> <atomic> <chrono> <cstddef> <cstdint> <cstring> <functional>
  <memory> <optional> <span> <string> <string_view> <utility> <vector>)

# emberkv_precompile(<target> [header...]): precompiles the common headers,
# and the extra ones given (e.g. <asio/io_context.hpp> or
# <catch2/catch.hpp>), for every file of <target>, which must be C++ only.
function(emberkv_precompile target)
  if(EMBERKV_PCH)
    target_precompile_headers(${target} PRIVATE ${EMBERKV_PCH_HEADERS} ${ARGN})
  endif()
endfunction()

# Unity builds: the files of each target are compiled eight at a time, as one
# file, so that the headers they share are parsed and their inline code and
# templates generated once per eight files rather than once per file. It
# halves the build. The price is a rule: names in an anonymous namespace
# must be unique within their target (a clash is a compile error, not a
# silent merge). -DEMBERKV_UNITY=OFF compiles every file alone, the way to
# check that each file includes what it uses.
option(EMBERKV_UNITY "Compile each target's files in batches (unity build)" ON)
set(CMAKE_UNITY_BUILD ${EMBERKV_UNITY})
set(CMAKE_UNITY_BUILD_BATCH_SIZE 8)
