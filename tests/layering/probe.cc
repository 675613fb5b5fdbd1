// A layering probe: tests/layering/CMakeLists.txt compiles this file with one
// layer's include directories and EMBERKV_PROBE_INCLUDE naming a header of
// some layer. It compiles exactly when that layer may include that header.
#include EMBERKV_PROBE_INCLUDE
