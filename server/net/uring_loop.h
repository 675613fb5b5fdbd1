// One loop's io_uring (liburing): the ring, and a ring of provided buffers
// that multishot receives land in.
//
// A connection arms one multishot receive for its socket (Receive): the
// kernel then completes it once per arrival, each time into a buffer it
// takes from the provided ring, without a system call from us. Replies are
// queued as send requests (Send) during the loop's turn and leave together,
// with one io_uring_enter (Submit) at its end. Completions are read from
// shared memory (Reap); a buffer goes back to the ring as soon as the
// completion that carried it has been handled, so a connection keeps only
// an incomplete command's bytes (in its own buffer), as with epoll.
//
// Who waits: the loop still blocks in asio's epoll_wait, with the ring's
// descriptor among asio's (it is readable while completions wait); see
// Worker::Run for why, and for what that costs.
//
// Thread safety: none; the ring belongs to its loop's thread (the probe at
// start-up makes its own).
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace emberkv::server {

class UringLoop {
 public:
  // Receive buffers: 64 of 16 KiB (1 MiB per loop). A receive that finds
  // the ring empty ends with -ENOBUFS and is armed again; bigger data
  // arrives in several completions.
  static constexpr unsigned kBufferCount = 64;
  static constexpr size_t kBufferSize = 16 * 1024;

  // A ring with its buffer ring registered, or nullptr and `error` (what
  // refused, with errno's text) when the kernel or a seccomp filter
  // refuses io_uring or one of the features used.
  static std::unique_ptr<UringLoop> Create(std::string* error);
  ~UringLoop();
  UringLoop(const UringLoop&) = delete;
  UringLoop& operator=(const UringLoop&) = delete;

  // The ring's descriptor: readable while completions wait.
  int fd() const { return ring_.ring_fd; }

  // Queues a multishot receive on `socket`; its completions carry `tag`.
  void Receive(uint64_t tag, int socket);
  // Queues a send of [data, data + size), which must stay valid until its
  // completion (tag `tag`).
  void Send(uint64_t tag, int socket, const char* data, size_t size);
  // Queues the cancellation of every request tagged `tag`; they complete
  // with -ECANCELED (or their own result, if it came first).
  void Cancel(uint64_t tag);
  // Hands what was queued to the kernel: one io_uring_enter, none when
  // nothing was queued.
  void Submit();
  // Whether completions wait to be reaped.
  bool HasCompletions() { return io_uring_cq_ready(&ring_) > 0; }

  struct Completion {
    uint64_t tag;
    int result;             // bytes, or -errno
    bool more;              // a multishot request stays armed
    std::string_view data;  // a receive's bytes (in a provided buffer)
  };
  // Calls `handle` for every waiting completion, returning each receive
  // buffer to the ring after its call. Returns how many there were.
  template <class Handle>
  size_t Reap(Handle&& handle) {
    size_t count = 0;
    io_uring_cqe* cqe;
    while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
      Completion completion{cqe->user_data, cqe->res, (cqe->flags & IORING_CQE_F_MORE) != 0, {}};
      int buffer = -1;
      if (cqe->flags & IORING_CQE_F_BUFFER) {
        buffer = static_cast<int>(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        if (cqe->res > 0) completion.data = std::string_view(BufferAt(buffer), cqe->res);
      }
      // Seen before handling, so that what the handler submits never
      // waits behind a full completion queue.
      io_uring_cqe_seen(&ring_, cqe);
      handle(completion);
      if (buffer >= 0) Recycle(buffer);
      ++count;
    }
    return count;
  }

 private:
  static constexpr uint16_t kBufferGroup = 0;

  UringLoop() = default;
  // An SQE, submitting what is queued first if the queue is full.
  io_uring_sqe* NextSqe();
  char* BufferAt(int id) { return buffers_.get() + static_cast<size_t>(id) * kBufferSize; }
  void Recycle(int id);

  io_uring ring_{};
  bool ring_ready_ = false;
  io_uring_buf_ring* buffer_ring_ = nullptr;  // mmap'ed, page aligned
  size_t buffer_ring_bytes_ = 0;
  std::unique_ptr<char[]> buffers_;
};

}  // namespace emberkv::server
