#include "storage/slab_arena.h"

#include <sys/mman.h>

#include <cassert>
#include <cstring>

namespace emberkv::storage {

// 4-byte steps up to 128, then eight classes per doubling up to 2048, then
// sizes that divide a 16 KiB page (7, 6, 5 and 4 chunks: none is left over).
const uint16_t SlabArena::kClassSize[SlabArena::kNumClasses] = {
    4,    8,    12,   16,   20,   24,   28,   32,   36,   40,   44,   48,  52,  56,
    60,   64,   68,   72,   76,   80,   84,   88,   92,   96,   100,  104, 108, 112,
    116,  120,  124,  128,  144,  160,  176,  192,  208,  224,  240,  256, 288, 320,
    352,  384,  416,  448,  480,  512,  576,  640,  704,  768,  832,  896, 960, 1024,
    1152, 1280, 1408, 1536, 1664, 1792, 1920, 2048, 2340, 2728, 3276, 4096};

size_t SlabArena::ClassOf(size_t size) {
  if (size <= 128) return size == 0 ? 0 : (size - 1) / 4;
  // Binary search in the coarse part of the table.
  size_t lo = 32, hi = kNumClasses - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kClassSize[mid] < size)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

SlabArena::SlabArena() { pages_.emplace_back(); }

SlabArena::~SlabArena() {
  for (char* region : regions_) munmap(region, kPagesPerRegion * kPageSize);
}

bool SlabArena::HasRoom(const Page& page) const {
  if (page.free_head != kNoChunk) return true;
  size_t chunk = kClassSize[page.size_class];
  return page.bump * kGranularity + chunk <= kPageSize;
}

void SlabArena::LinkPartial(uint32_t index) {
  Page& page = pages_[index];
  page.prev = 0;
  page.next = partial_head_[page.size_class];
  if (page.next) pages_[page.next].prev = index;
  partial_head_[page.size_class] = index;
}

void SlabArena::UnlinkPartial(uint32_t index) {
  Page& page = pages_[index];
  if (page.prev) {
    pages_[page.prev].next = page.next;
  } else {
    partial_head_[page.size_class] = page.next;
  }
  if (page.next) pages_[page.next].prev = page.prev;
  page.prev = page.next = 0;
}

uint32_t SlabArena::TakeEmptyPage() {
  std::vector<uint32_t>* source = !resident_empty_.empty() ? &resident_empty_ : &released_empty_;
  if (source->empty()) {
    if (pages_.size() + kPagesPerRegion > kMaxPages) return 0;
    void* mem = mmap(nullptr, kPagesPerRegion * kPageSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) return 0;
    // Huge pages would make RSS jump in 2 MiB steps and defeat page release.
    madvise(mem, kPagesPerRegion * kPageSize, MADV_NOHUGEPAGE);
    char* region = static_cast<char*>(mem);
    regions_.push_back(region);
    // Pushed in reverse so that pages are handed out in address order.
    size_t first = pages_.size();
    for (size_t i = 0; i < kPagesPerRegion; ++i) {
      Page page;
      page.base = region + i * kPageSize;
      pages_.push_back(page);
    }
    for (size_t i = kPagesPerRegion; i-- > 0;) {
      released_empty_.push_back(static_cast<uint32_t>(first + i));
    }
  }
  uint32_t index = source->back();
  source->pop_back();
  ++pages_in_use_;
  return index;
}

void SlabArena::ReleaseEmptyPage(uint32_t index) {
  Page& page = pages_[index];
  --class_pages_[page.size_class];
  page.size_class = kNoClass;
  page.live = 0;
  page.free_head = kNoChunk;
  page.bump = 0;
  --pages_in_use_;
  // The most recently emptied pages stay resident to absorb churn; older ones
  // go back to the kernel.
  resident_empty_.push_back(index);
  if (resident_empty_.size() > kRetainedEmptyPages) {
    uint32_t oldest = resident_empty_.front();
    resident_empty_.erase(resident_empty_.begin());
    madvise(pages_[oldest].base, kPageSize, MADV_DONTNEED);
    released_empty_.push_back(oldest);
  }
}

void SlabArena::ReleaseEmptyPages() {
  for (uint32_t index : resident_empty_) {
    madvise(pages_[index].base, kPageSize, MADV_DONTNEED);
    released_empty_.push_back(index);
  }
  resident_empty_.clear();
}

Handle SlabArena::Allocate(size_t size) {
  assert(size > 0 && size <= kMaxAllocation);
  size_t cls = ClassOf(size);
  size_t chunk = kClassSize[cls];
  uint32_t index = partial_head_[cls];
  if (index == 0) {
    index = TakeEmptyPage();
    if (index == 0) return kNullHandle;
    pages_[index].size_class = static_cast<uint8_t>(cls);
    ++class_pages_[cls];
    LinkPartial(index);
  }
  Page& page = pages_[index];
  uint32_t offset;
  if (page.free_head != kNoChunk) {
    offset = page.free_head;
    uint16_t next;
    std::memcpy(&next, page.base + offset * kGranularity + 2, sizeof(next));
    page.free_head = next;
  } else {
    offset = page.bump;
    page.bump = static_cast<uint16_t>(page.bump + chunk / kGranularity);
  }
  ++page.live;
  ++class_live_[cls];
  ++live_chunks_;
  allocated_bytes_ += chunk;
  if (!HasRoom(page)) UnlinkPartial(index);
  return (index << kOffsetBits) | offset;
}

void SlabArena::Free(Handle handle, size_t size) {
  uint32_t index = handle >> kOffsetBits;
  uint16_t offset = static_cast<uint16_t>(handle & kOffsetMask);
  Page& page = pages_[index];
  assert(page.size_class == ClassOf(size));
  bool was_full = !HasRoom(page);
  char* chunk = page.base + offset * kGranularity;
  chunk[0] = static_cast<char>(kFreeChunkMarker);
  std::memcpy(chunk + 2, &page.free_head, sizeof(page.free_head));
  page.free_head = offset;
  --page.live;
  --class_live_[page.size_class];
  --live_chunks_;
  allocated_bytes_ -= kClassSize[page.size_class];
  if (page.live == 0) {
    if (!was_full) UnlinkPartial(index);
    ReleaseEmptyPage(index);
    return;
  }
  if (was_full) LinkPartial(index);
}

}  // namespace emberkv::storage

namespace emberkv::storage {

bool SlabArena::IsLiveChunk(Handle handle) const {
  uint32_t index = handle >> kOffsetBits;
  if (index == 0 || index >= pages_.size()) return false;
  const Page& page = pages_[index];
  if (page.size_class == kNoClass) return false;
  size_t offset = (handle & kOffsetMask) * kGranularity;
  if (offset % kClassSize[page.size_class] != 0) return false;
  if (offset >= static_cast<size_t>(page.bump) * kGranularity) return false;
  return static_cast<uint8_t>(page.base[offset]) != kFreeChunkMarker;
}

}  // namespace emberkv::storage

namespace emberkv::storage {

uint32_t SlabArena::FindSparsePage() const {
  // Pages with free chunks are on their class's partial list; the sparsest
  // of the first few is taken (the list is not ordered, and walking all of
  // it could be long).
  constexpr int kCandidatesPerClass = 8;
  uint32_t best = 0;
  size_t best_live = SIZE_MAX;
  for (size_t cls = 0; cls < kNumClasses; ++cls) {
    size_t per_page = kPageSize / kClassSize[cls];
    size_t free_chunks = class_pages_[cls] * per_page - class_live_[cls];
    // The page's live chunks fit elsewhere iff the class has a page's worth
    // of free chunks: free_elsewhere = free - (per_page - live) >= live.
    if (class_pages_[cls] < 2 || free_chunks < per_page) continue;
    int seen = 0;
    for (uint32_t index = partial_head_[cls]; index && seen < kCandidatesPerClass;
         index = pages_[index].next, ++seen) {
      if (pages_[index].live < best_live) {
        best_live = pages_[index].live;
        best = index;
      }
    }
  }
  return best;
}

}  // namespace emberkv::storage
