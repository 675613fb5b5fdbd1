// Giving memory back to the system after a command freed much of it.
//
// glibc's malloc keeps freed memory in its arenas (one per thread that
// allocated) for reuse; after FLUSHALL the resident size of a server that
// held hundreds of megabytes stays near its peak although nothing is in
// use. malloc_trim(0) walks every arena and returns its free pages. It
// costs a walk of the free lists and a few madvise calls: for rare,
// explicit commands only, never on the data path. Safe from any thread.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace emberkv::server {

inline void ReturnFreeMemoryToSystem() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace emberkv::server
