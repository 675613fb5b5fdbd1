#include "server/engine/startup_pages.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// Rss in KiB of the mapping that starts at `address`, from /proc/self/smaps.
long MappingRss(const void* address) {
  char header[32];
  std::snprintf(header, sizeof(header), "%lx-", reinterpret_cast<unsigned long>(address));
  FILE* smaps = std::fopen("/proc/self/smaps", "r");
  REQUIRE(smaps != nullptr);
  char line[512];
  bool in_mapping = false;
  long rss = -1;
  while (std::fgets(line, sizeof(line), smaps)) {
    if (std::strncmp(line, header, std::strlen(header)) == 0) {
      in_mapping = true;
    } else if (in_mapping && std::strncmp(line, "Rss:", 4) == 0) {
      rss = std::strtol(line + 4, nullptr, 10);
      break;
    }
  }
  std::fclose(smaps);
  return rss;
}

// A file of `pages` pages, each filled with its own letter.
int MakeFile(size_t pages, size_t page) {
  char path[] = "/tmp/emberkv-startup-pages-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  unlink(path);
  for (size_t i = 0; i < pages; ++i) {
    std::string block(page, static_cast<char>('a' + i));
    REQUIRE(write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size()));
  }
  return fd;
}

}  // namespace

TEST_CASE("start-up pages: a read-only file mapping is dropped and reads back the same") {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  int fd = MakeFile(4, page);
  auto* mapped = static_cast<const char*>(mmap(nullptr, 4 * page, PROT_READ, MAP_PRIVATE, fd, 0));
  REQUIRE(mapped != MAP_FAILED);
  for (size_t i = 0; i < 4; ++i) REQUIRE(mapped[i * page] == static_cast<char>('a' + i));
  REQUIRE(MappingRss(mapped) > 0);

  emberkv::server::StartupPagesReleased released = emberkv::server::ReleaseStartupPages();
  CHECK(released.code_bytes >= 4 * page);
  CHECK(MappingRss(mapped) == 0);
  for (size_t i = 0; i < 4; ++i) CHECK(mapped[i * page + 1] == static_cast<char>('a' + i));
  munmap(const_cast<char*>(mapped), 4 * page);
  close(fd);
}

TEST_CASE("start-up pages: private copies in a read-only mapping are kept") {
  // What the loader does to RELRO, and a debugger to code: write a private
  // copy, then make the mapping read-only again.
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  int fd = MakeFile(2, page);
  auto* mapped =
      static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
  REQUIRE(mapped != MAP_FAILED);
  mapped[0] = 'Z';
  REQUIRE(mprotect(mapped, 2 * page, PROT_READ) == 0);

  emberkv::server::ReleaseStartupPages();
  CHECK(mapped[0] == 'Z');
  CHECK(mapped[page] == 'b');
  munmap(mapped, 2 * page);
  close(fd);
}
