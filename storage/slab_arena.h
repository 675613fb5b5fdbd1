// A slab allocator for entries, addressed by 32-bit handles.
//
// Why: the bytes per key are what a cache user pays for. malloc would round a
// 34-byte entry up to 48 bytes and the table would need an 8-byte pointer per
// slot; here an entry is rounded up to the next multiple of 4 bytes (up to
// 128 bytes, then in steps of about 12%) and the table stores a 4-byte handle.
//
// Memory comes from the kernel in 1 MiB regions cut into 16 KiB pages; each
// page serves one size class and keeps its own free list, so a page whose last
// chunk is freed goes back to the kernel (madvise) and FLUSHALL gives memory
// back instead of leaving it in an allocator's free lists. Pages are small
// because every size class in use keeps one partly filled page: with values
// of assorted sizes (30 classes or so) that is about 0.5 MiB per shard, which
// a shard with a share of a few MiB of maxmemory can afford; 64 KiB pages
// would take four times as much. Above 2 KiB the classes divide the page.
//
// Pages of a class that emptied out unevenly (eviction frees chunks all over
// the place) can be compacted: EvacuatePage moves a sparse page's chunks into
// the holes of the class's other pages and releases it, with the owner
// repointing its references (see docs/eviction.md, "Fragmentation").
//
// A handle is (page index << 12) | (offset in the page / 4): 2^20 pages of
// 16 KiB, so one arena addresses up to 16 GiB. Handle 0 is never returned.
//
// Thread safety: none; an arena belongs to one shard and its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace emberkv::storage {

using Handle = uint32_t;
inline constexpr Handle kNullHandle = 0;
inline constexpr uint8_t kFreeChunkMarker = 0xFF;

class SlabArena {
 public:
  static constexpr size_t kPageSize = 16 * 1024;
  static constexpr size_t kGranularity = 4;
  static constexpr size_t kMaxAllocation = 4096;  // larger objects live outside the arena
  static constexpr int kOffsetBits = 12;
  static constexpr uint32_t kMaxPages = 1u << (32 - kOffsetBits);
  static constexpr size_t kPagesPerRegion = 64;
  // Empty pages kept (not returned to the kernel) to absorb churn.
  static constexpr size_t kRetainedEmptyPages = 4;

  SlabArena();
  ~SlabArena();
  SlabArena(const SlabArena&) = delete;
  SlabArena& operator=(const SlabArena&) = delete;

  // Returns room for `size` bytes (1..kMaxAllocation), or kNullHandle when the
  // arena's 16 GiB are exhausted or the kernel refuses memory.
  Handle Allocate(size_t size);
  // Frees what Allocate(size) returned; `size` must be the size allocated.
  void Free(Handle handle, size_t size);

  char* Resolve(Handle handle) const {
    return pages_[handle >> kOffsetBits].base + (handle & kOffsetMask) * kGranularity;
  }

  // The chunk size that an allocation of `size` bytes occupies.
  static size_t ChunkSize(size_t size) { return kClassSize[ClassOf(size)]; }

  // Bytes in chunks handed out (what entries occupy, with rounding).
  size_t allocated_bytes() const { return allocated_bytes_; }
  // Chunks handed out.
  size_t live_chunks() const { return live_chunks_; }
  // Bytes of pages that hold at least one chunk.
  size_t page_bytes() const { return pages_in_use_ * kPageSize; }
  size_t pages_in_use() const { return pages_in_use_; }
  // page_bytes() plus the empty pages kept resident for reuse: the arena's
  // share of resident memory. The difference to allocated_bytes() is
  // fragmentation (holes, unused page tails, retained pages).
  size_t resident_bytes() const { return (pages_in_use_ + resident_empty_.size()) * kPageSize; }

  // Whether `handle` (perhaps stale) names a chunk that is currently handed
  // out: on a page of some class, at a chunk boundary, not freed. A freed
  // chunk's first byte is kFreeChunkMarker, which callers must never store
  // there themselves. Lets holders of weak references (the timing wheel)
  // check them safely.
  bool IsLiveChunk(Handle handle) const;

  // Returns every empty page to the kernel, e.g. after FLUSHALL.
  void ReleaseEmptyPages();

  // ---- Compaction ----
  // A page worth evacuating: one whose live chunks fit into the free chunks
  // of the other pages of its size class, the sparsest of a few candidates
  // (fewest chunks to move). 0 when no class has a page's worth of free
  // chunks. Cost: a pass over the classes and a few pages of each.
  uint32_t FindSparsePage() const;
  // Moves every live chunk of `page` into other pages of its class and
  // releases it. relocate(from, to) is called after each chunk is copied and
  // must repoint every owner reference from `from` to `to`; if it returns
  // false the chunk stays (and the page with it). Returns the chunks moved.
  template <class Relocate>
  size_t EvacuatePage(uint32_t page, Relocate&& relocate);

 private:
  static constexpr uint32_t kOffsetMask = (1u << kOffsetBits) - 1;
  static constexpr uint16_t kNoChunk = 0xFFFF;
  static constexpr uint8_t kNoClass = 0xFF;
  static constexpr size_t kNumClasses = 68;
  static const uint16_t kClassSize[kNumClasses];

  static size_t ClassOf(size_t size);

  struct Page {
    char* base = nullptr;
    uint8_t size_class = kNoClass;
    uint16_t live = 0;              // chunks handed out
    uint16_t free_head = kNoChunk;  // first freed chunk, in 4-byte units
    uint16_t bump = 0;              // start of the never-used tail, in 4-byte units
    uint32_t prev = 0, next = 0;    // links in the class's list of pages with room
  };

  uint32_t TakeEmptyPage();
  void ReleaseEmptyPage(uint32_t page);
  void LinkPartial(uint32_t page);
  void UnlinkPartial(uint32_t page);
  bool HasRoom(const Page& page) const;

  std::vector<Page> pages_;  // index 0 unused, so no handle is 0
  std::vector<char*> regions_;
  std::vector<uint32_t> resident_empty_;  // emptied recently, still resident; oldest first
  std::vector<uint32_t> released_empty_;  // returned to the kernel, or never touched
  uint32_t partial_head_[kNumClasses] = {};
  uint32_t class_pages_[kNumClasses] = {};  // pages holding chunks of the class
  size_t class_live_[kNumClasses] = {};     // chunks handed out, per class
  size_t allocated_bytes_ = 0;
  size_t live_chunks_ = 0;
  size_t pages_in_use_ = 0;
};

template <class Relocate>
size_t SlabArena::EvacuatePage(uint32_t index, Relocate&& relocate) {
  const size_t cls = pages_[index].size_class;
  const size_t chunk = kClassSize[cls];
  const uint16_t units = static_cast<uint16_t>(chunk / kGranularity);
  // A page with a free chunk is on its class's list of pages with room;
  // taking it off keeps Allocate from handing out chunks of it meanwhile.
  if (HasRoom(pages_[index])) UnlinkPartial(index);
  size_t moved = 0;
  for (uint16_t offset = 0; offset < pages_[index].bump && pages_[index].live > 0;
       offset += units) {
    if (static_cast<uint8_t>(pages_[index].base[offset * kGranularity]) == kFreeChunkMarker)
      continue;
    // Allocate may grow pages_ (if the class ran out of room after all), so
    // the page is looked up again rather than held by reference.
    Handle to = Allocate(chunk);
    if (to == kNullHandle) break;
    Page& page = pages_[index];
    char* from_data = page.base + offset * kGranularity;
    std::memcpy(Resolve(to), from_data, chunk);
    Handle from = (index << kOffsetBits) | offset;
    if (!relocate(from, to)) {
      Free(to, chunk);
      continue;
    }
    // Free the old chunk into the page's own list; the page is off the
    // partial list, so there is no list bookkeeping.
    from_data[0] = static_cast<char>(kFreeChunkMarker);
    std::memcpy(from_data + 2, &page.free_head, sizeof(page.free_head));
    page.free_head = offset;
    --page.live;
    --class_live_[cls];
    --live_chunks_;
    allocated_bytes_ -= chunk;
    ++moved;
  }
  if (pages_[index].live == 0) {
    ReleaseEmptyPage(index);
  } else if (HasRoom(pages_[index])) {
    LinkPartial(index);
  }
  return moved;
}

}  // namespace emberkv::storage
