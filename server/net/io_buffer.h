// A growable byte buffer for a connection's unparsed input, that grows
// without zero-filling (a 100 MB value arrives in place, once) and whose
// consumed prefix is dropped cheaply.
//
// Thread safety: none; a connection's buffers belong to its worker.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace emberkv::server {

class IoBuffer {
 public:
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::string_view view() const { return {data_.get() + begin_, size()}; }
  size_t capacity() const { return capacity_; }

  // Room for at least `bytes` more; returns where to write them.
  char* Reserve(size_t bytes) {
    if (capacity_ - end_ < bytes) {
      if (begin_ > 0 && capacity_ - size() >= bytes && size() <= capacity_ / 2) {
        std::memmove(data_.get(), data_.get() + begin_, size());
      } else {
        size_t wanted = size() + bytes;
        size_t grown = capacity_ + capacity_ / 2;
        size_t new_capacity = grown > wanted ? grown : wanted;
        std::unique_ptr<char[]> bigger(new char[new_capacity]);
        if (size()) std::memcpy(bigger.get(), data_.get() + begin_, size());
        data_ = std::move(bigger);
        capacity_ = new_capacity;
      }
      end_ = size();
      begin_ = 0;
    }
    return data_.get() + end_;
  }
  void Commit(size_t bytes) { end_ += bytes; }
  void Append(std::string_view bytes) {
    std::memcpy(Reserve(bytes.size()), bytes.data(), bytes.size());
    Commit(bytes.size());
  }
  void Consume(size_t bytes) {
    begin_ += bytes;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Gives memory back once the buffer is empty and large.
  void ShrinkIfIdle(size_t keep) {
    if (empty() && capacity_ > keep) {
      data_.reset();
      capacity_ = 0;
      begin_ = end_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace emberkv::server
