// See startup_pages.h. The mappings come from /proc/self/smaps, which says
// for each one whether it holds private copies ("Anonymous:"), the one thing
// that makes dropping a file mapping's pages lose data.
#include "server/engine/startup_pages.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace emberkv::server {
namespace {

struct Mapping {
  uintptr_t start = 0;
  uintptr_t end = 0;
  bool droppable = false;  // a read-only private mapping of a file
  bool copied = false;     // some page is a private copy (relocated, a breakpoint)
};

size_t Drop(const Mapping& m) {
  if (!m.droppable || m.copied || m.end <= m.start) return 0;
  if (madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED) != 0) return 0;
  return m.end - m.start;
}

}  // namespace

StartupPagesReleased ReleaseStartupPages() {
  StartupPagesReleased result;
  if (FILE* smaps = std::fopen("/proc/self/smaps", "r")) {
    // A mapping's header line ("start-end perms offset dev inode path")
    // comes before its fields; act on it when the next header (or the end)
    // shows that all its fields have been read.
    Mapping current;
    char line[512];
    while (std::fgets(line, sizeof(line), smaps)) {
      unsigned long start, end;
      char perms[8];
      int path_at = 0;
      if (std::sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &path_at) == 3) {
        result.code_bytes += Drop(current);
        current = Mapping{start, end};
        // Not writable, private, and a file (not [vdso], [stack], ...):
        // code and constants of the binary and its libraries.
        current.droppable =
            perms[1] == '-' && perms[3] == 'p' && path_at > 0 && line[path_at] == '/';
      } else if (std::strncmp(line, "Anonymous:", 10) == 0) {
        current.copied = std::strtoul(line + 10, nullptr, 10) != 0;
      }
    }
    result.code_bytes += Drop(current);
    std::fclose(smaps);
  }
  result.heap_trimmed = malloc_trim(0) != 0;
  return result;
}

}  // namespace emberkv::server
