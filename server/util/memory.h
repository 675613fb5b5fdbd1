// Giving memory back to the system after a command freed much of it.
//
// glibc's malloc keeps freed memory in its arenas (one per thread that
// allocated) for reuse; after FLUSHALL the resident size of a server that
// held hundreds of megabytes stays near its peak although nothing is in
// use. malloc_trim(0) walks every arena and returns its free pages. It
// costs a walk of the free lists and a few madvise calls: for rare,
// explicit commands only, never on the data path. Safe from any thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Under AddressSanitizer and ThreadSanitizer malloc is the sanitizer's, and
// glibc's malloc_trim walks arenas that were never set up: it crashes (seen
// on FLUSHALL in the ASan suite). There is nothing of glibc's to trim then.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EMBERKV_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define EMBERKV_SANITIZED_MALLOC 1
#endif
#endif

namespace emberkv::server {

inline void ReturnFreeMemoryToSystem() {
#if defined(__GLIBC__) && !defined(EMBERKV_SANITIZED_MALLOC)
  malloc_trim(0);
#endif
}

// What the allocator holds (MEMORY STATS): `allocated` is in use by the
// program, `active` what the allocator took from the system for it
// (glibc's mallinfo2: in-use chunks and mmapped blocks; arena plus mmapped
// blocks). Zero under the sanitizers, whose allocator is not glibc's.
struct AllocatorTotals {
  uint64_t allocated = 0;
  uint64_t active = 0;
};
inline AllocatorTotals ReadAllocatorTotals() {
  AllocatorTotals totals;
#if defined(__GLIBC__) && !defined(EMBERKV_SANITIZED_MALLOC)
  struct mallinfo2 info = mallinfo2();
  totals.allocated = info.uordblks + info.hblkhd;
  totals.active = info.arena + info.hblkhd;
#endif
  return totals;
}

// MEMORY MALLOC-STATS: glibc's own report (malloc_info, XML, one <heap> per
// arena), or Redis's answer for an allocator without one.
inline std::string AllocatorStats() {
  std::string report = "Stats not supported for the current allocator";
#if defined(__GLIBC__) && !defined(EMBERKV_SANITIZED_MALLOC)
  char* text = nullptr;
  size_t length = 0;
  if (FILE* out = open_memstream(&text, &length)) {
    bool written = malloc_info(0, out) == 0;
    std::fclose(out);  // sets text and length
    if (written && text) report.assign(text, length);
    std::free(text);
  }
#endif
  return report;
}

}  // namespace emberkv::server
