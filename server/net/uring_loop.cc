#include "server/net/uring_loop.h"

#include <sys/mman.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace emberkv::server {
namespace {

// Room for every connection's send and re-armed receive of one turn before
// a submission is forced; the completion queue is twice as big, and the
// kernel keeps what overflows it (IORING_FEAT_NODROP).
constexpr unsigned kRingEntries = 256;

std::string Failure(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

}  // namespace

std::unique_ptr<UringLoop> UringLoop::Create(std::string* error) {
  std::unique_ptr<UringLoop> loop(new UringLoop());
  // COOP_TASKRUN: a completion's task work does not interrupt a loop that
  // is running (no IPI); it runs when the loop next enters the kernel. A
  // loop asleep in epoll_wait is still woken for it (EINTR, then the ring's
  // descriptor is readable), about half of epoll_wait's returns under load.
  int rc = io_uring_queue_init(kRingEntries, &loop->ring_, IORING_SETUP_COOP_TASKRUN);
  if (rc == -EINVAL) rc = io_uring_queue_init(kRingEntries, &loop->ring_, 0);  // before 5.19
  if (rc < 0) {
    *error = Failure("io_uring_setup", -rc);
    return nullptr;
  }
  loop->ring_ready_ = true;
  if (!(loop->ring_.features & IORING_FEAT_NODROP)) {
    *error = "io_uring: the kernel lacks IORING_FEAT_NODROP (5.5 or later needed)";
    return nullptr;
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&loop->ring_);
  if (!probe) {
    *error = "io_uring: the kernel cannot list its operations (IORING_REGISTER_PROBE)";
    return nullptr;
  }
  bool supported = io_uring_opcode_supported(probe, IORING_OP_RECV) &&
                   io_uring_opcode_supported(probe, IORING_OP_SEND) &&
                   io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
  io_uring_free_probe(probe);
  if (!supported) {
    *error = "io_uring: the kernel lacks IORING_OP_RECV, IORING_OP_SEND or IORING_OP_ASYNC_CANCEL";
    return nullptr;
  }

  // The provided-buffer ring: entries in page-aligned memory the kernel
  // reads, buffers in ours.
  loop->buffer_ring_bytes_ = kBufferCount * sizeof(io_uring_buf);
  void* ring_memory = mmap(nullptr, loop->buffer_ring_bytes_, PROT_READ | PROT_WRITE,
                           MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring_memory == MAP_FAILED) {
    *error = Failure("io_uring: mmap of the buffer ring", errno);
    return nullptr;
  }
  loop->buffer_ring_ = static_cast<io_uring_buf_ring*>(ring_memory);
  io_uring_buf_ring_init(loop->buffer_ring_);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<uint64_t>(ring_memory);
  registration.ring_entries = kBufferCount;
  registration.bgid = kBufferGroup;
  if (int rc = io_uring_register_buf_ring(&loop->ring_, &registration, 0); rc < 0) {
    *error = Failure("io_uring_register_buf_ring", -rc);
    return nullptr;
  }
  loop->buffers_.reset(new char[kBufferCount * kBufferSize]);
  for (unsigned id = 0; id < kBufferCount; ++id) {
    io_uring_buf_ring_add(loop->buffer_ring_, loop->BufferAt(static_cast<int>(id)), kBufferSize,
                          static_cast<uint16_t>(id), io_uring_buf_ring_mask(kBufferCount),
                          static_cast<int>(id));
  }
  io_uring_buf_ring_advance(loop->buffer_ring_, kBufferCount);
  return loop;
}

UringLoop::~UringLoop() {
  // Closing the ring ends its requests; the buffers go after it.
  if (ring_ready_) io_uring_queue_exit(&ring_);
  if (buffer_ring_) munmap(buffer_ring_, buffer_ring_bytes_);
}

io_uring_sqe* UringLoop::NextSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (!sqe) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringLoop::Receive(uint64_t tag, int socket) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_recv_multishot(sqe, socket, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, tag);
}

void UringLoop::Send(uint64_t tag, int socket, const char* data, size_t size) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_send(sqe, socket, data, size, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag);
}

void UringLoop::Cancel(uint64_t tag) {
  io_uring_sqe* sqe = NextSqe();
  io_uring_prep_cancel64(sqe, tag, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data64(sqe, 0);  // its own completion concerns nobody
}

void UringLoop::Submit() {
  if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);
}

void UringLoop::Recycle(int id) {
  io_uring_buf_ring_add(buffer_ring_, BufferAt(id), kBufferSize, static_cast<uint16_t>(id),
                        io_uring_buf_ring_mask(kBufferCount), 0);
  io_uring_buf_ring_advance(buffer_ring_, 1);
}

}  // namespace emberkv::server
