// Giving back, once the server is up, the memory that only start-up used.
//
// Start-up runs code that never runs again (option parsing, the config file,
// building the command table, libstdc++'s locale set-up, the workers'
// launch), scattered over nearly every 64 KiB of the binary's code. The
// kernel maps a file's pages 64 KiB around each page touched (fault-around),
// so start-up leaves almost the whole binary resident, several MB per
// process, while an idle server runs a few hundred KiB of it (see
// docs/benchmarks.md, "Container", and server/hot_text.ld, which keeps that
// code together).
//
// Thread safety: call from any thread, at any time; other threads may run
// meanwhile (a page they need is mapped again on its next use).
#pragma once

#include <cstddef>

namespace emberkv::server {

struct StartupPagesReleased {
  size_t code_bytes = 0;  // read-only file mappings dropped
  bool heap_trimmed = false;
};

// Drops this process's page mappings of every read-only private file
// mapping (the code and constants of the binary and of its shared
// libraries) and returns malloc's free memory to the kernel. The pages stay
// in the page cache: code that runs later maps them again with a minor
// fault (no I/O, a few microseconds per 64 KiB), so only what the running
// server uses becomes resident again. A mapping holding any private copy
// (relocated data made read-only, a debugger's breakpoint, a uprobe) is
// left alone: MADV_DONTNEED would throw the copy away. Writable mappings
// are never touched.
StartupPagesReleased ReleaseStartupPages();

}  // namespace emberkv::server
