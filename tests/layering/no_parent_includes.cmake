# Fails when a source file of a layer includes by a path that climbs out of
# its folder ("../server/x.h"): such a path is resolved from the including
# file's own directory, not through the include directories, so it would get
# around the layering (cmake/Layers.cmake). Run as
#   cmake -DROOT=<source dir> -P no_parent_includes.cmake
set(offenders "")
foreach(layer base protocol storage server)
  file(GLOB_RECURSE files ${ROOT}/${layer}/*.h ${ROOT}/${layer}/*.cc)
  if(NOT files)
    message(FATAL_ERROR "no sources found in ${ROOT}/${layer}")
  endif()
  foreach(file IN LISTS files)
    file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]\\.\\./")
    foreach(line IN LISTS lines)
      string(APPEND offenders "${file}: ${line}\n")
    endforeach()
  endforeach()
endforeach()
if(offenders)
  message(FATAL_ERROR "includes that climb out of their folder:\n${offenders}")
endif()
