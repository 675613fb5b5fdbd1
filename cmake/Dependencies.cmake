# Every dependency comes from Debian's packages (see scripts/install-deps).
find_package(Threads REQUIRED)
find_package(absl REQUIRED CONFIG)

# Standalone Asio (libasio-dev) is header only. It is compiled once, in
# server/asio_impl.cc, rather than in every file that includes it.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(asio INTERFACE)
target_include_directories(asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
# ASIO_HAS_STD_ALIGNED_ALLOC is fixed here: Asio detects it from a libstdc++
# macro, so a file that includes Asio before any standard header (as
# server/asio_impl.cc does) would free with operator delete what other files
# allocated with aligned_alloc (AddressSanitizer: alloc-dealloc-mismatch).
target_compile_definitions(asio INTERFACE ASIO_STANDALONE ASIO_SEPARATE_COMPILATION ASIO_NO_DEPRECATED
                           ASIO_HAS_STD_ALIGNED_ALLOC=1)
target_link_libraries(asio INTERFACE Threads::Threads)

# xxHash (libxxhash-dev) ships a pkg-config file but no CMake package.
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
find_library(XXHASH_LIBRARY NAMES libxxhash.a xxhash REQUIRED)
add_library(xxhash INTERFACE)
target_include_directories(xxhash SYSTEM INTERFACE ${XXHASH_INCLUDE_DIR})
target_link_libraries(xxhash INTERFACE ${XXHASH_LIBRARY})

# Lua 5.1 (liblua5.1-0-dev), the Lua Redis embeds, runs scripts; lua-cjson
# (lua-cjson-dev) and lua-bitop (lua-bitop-dev) are their `cjson` and `bit`.
# All three are linked from the static archives Debian ships beside the
# shared libraries, so the static server needs nothing else. Lua is Debian's
# C++ build: its errors are C++ exceptions, so they unwind our C++ frames
# (destructors run) where C Lua would longjmp over them. scripting/README.md
# says why Lua 5.1 rather than LuaJIT.
find_path(LUA51_INCLUDE_DIR lua.h PATH_SUFFIXES lua5.1 REQUIRED)
find_library(LUA51_LIBRARY NAMES liblua5.1-c++.a REQUIRED)
find_library(LUA_CJSON_LIBRARY NAMES liblua5.1-cjson.a REQUIRED)
find_library(LUA_BITOP_LIBRARY NAMES liblua5.1-bitop.a REQUIRED)
add_library(lua51 INTERFACE)
target_include_directories(lua51 SYSTEM INTERFACE ${LUA51_INCLUDE_DIR})
target_link_libraries(lua51 INTERFACE ${LUA51_LIBRARY} m)
add_library(lua51_modules INTERFACE)
target_link_libraries(lua51_modules INTERFACE ${LUA_CJSON_LIBRARY} ${LUA_BITOP_LIBRARY} lua51)

# liburing (liburing-dev) drives the io_uring path (server/net/uring_loop.h);
# linked from its static archive, like the libraries above, so the static
# server needs nothing else.
find_path(LIBURING_INCLUDE_DIR liburing.h REQUIRED)
find_library(LIBURING_LIBRARY NAMES liburing.a REQUIRED)
add_library(liburing INTERFACE)
target_include_directories(liburing SYSTEM INTERFACE ${LIBURING_INCLUDE_DIR})
target_link_libraries(liburing INTERFACE ${LIBURING_LIBRARY})

if(EMBERKV_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED CONFIG)
endif()
if(EMBERKV_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()

# Abseil is linked from its archives, as the libraries above, in every
# build: Debian's abseil CMake package names only the shared libraries (the
# archives lie beside them with the same names), and the thirty-odd shared
# libraries a server linked with them needs cost every start milliseconds
# in the dynamic loader (docs/benchmarks.md, "exec to first answer"). The
# static server (EMBERKV_STATIC, for the container image) needs it anyway.
option(EMBERKV_SHARED_ABSEIL "Link abseil's shared libraries instead of its archives" OFF)
if(NOT EMBERKV_SHARED_ABSEIL)
  get_directory_property(_imported IMPORTED_TARGETS)
  foreach(_target IN LISTS _imported)
    if(NOT _target MATCHES "^absl::")
      continue()
    endif()
    get_target_property(_type ${_target} TYPE)
    if(NOT _type STREQUAL "SHARED_LIBRARY")
      continue()
    endif()
    get_target_property(_configs ${_target} IMPORTED_CONFIGURATIONS)
    foreach(_config IN LISTS _configs)
      get_target_property(_location ${_target} IMPORTED_LOCATION_${_config})
      string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" _archive "${_location}")
      if(NOT EXISTS "${_archive}")
        message(FATAL_ERROR "${_target} has no static archive (${_archive})")
      endif()
      set_target_properties(${_target} PROPERTIES IMPORTED_LOCATION_${_config} "${_archive}")
    endforeach()
  endforeach()
endif()
