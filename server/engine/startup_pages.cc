// See startup_pages.h. dl_iterate_phdr lists the program and its libraries
// in a dynamic build and the program alone (with the vDSO) in a static one,
// so one walk serves both.
#include "server/engine/startup_pages.h"

#include <link.h>
#include <malloc.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace emberkv::server {
namespace {

// True when a debugger (or strace) is attached: /proc/self/status says
// "TracerPid:\t<pid>", 0 when nobody traces us.
bool Traced() {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (!status) return false;
  char line[128];
  bool traced = false;
  while (std::fgets(line, sizeof(line), status)) {
    if (std::strncmp(line, "TracerPid:", 10) == 0) {
      traced = std::strtol(line + 10, nullptr, 10) != 0;
      break;
    }
  }
  std::fclose(status);
  return traced;
}

int ReleaseObject(dl_phdr_info* info, size_t, void* data) {
  auto* released = static_cast<size_t*>(data);
  // The vDSO is the kernel's, mapped specially: leave it alone.
  uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type == PT_LOAD && info->dlpi_addr + segment.p_vaddr == vdso) return 0;
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    // Only segments nobody can have written: a writable one (data, and the
    // RELRO part that the loader wrote and then made read-only) holds
    // private copies that MADV_DONTNEED would throw away.
    if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W)) continue;
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    uintptr_t end = start + segment.p_memsz;
    // Whole pages inside the segment only, so that a page it might share
    // with a neighbouring mapping is never touched.
    start = (start + page - 1) & ~(page - 1);
    end &= ~(page - 1);
    if (end <= start) continue;
    if (madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) == 0) {
      *released += end - start;
    }
  }
  return 0;
}

}  // namespace

StartupPagesReleased ReleaseStartupPages() {
  StartupPagesReleased result;
  if (!Traced()) dl_iterate_phdr(ReleaseObject, &result.code_bytes);
  result.heap_trimmed = malloc_trim(0) != 0;
  return result;
}

}  // namespace emberkv::server
