// Work sent from one worker thread to another. A message is created on the
// sending thread, runs once on the receiving thread and is deleted there.
// Whatever it captures must be safe to use on the receiver: owned copies, or
// pointers to objects that the sender keeps alive until the reply arrives
// (each call site says which).
#pragma once

#include <memory>
#include <utility>

#include "server/engine/mpsc_queue.h"

namespace emberkv::server {

class Message : public MpscNode {
 public:
  virtual ~Message() = default;
  virtual void Run() = 0;

  // Messages to one destination are chained into a batch and handed over
  // with a single push; this links a batch.
  Message* batch_next = nullptr;
};

template <class Fn>
class FunctionMessage final : public Message {
 public:
  explicit FunctionMessage(Fn fn) : fn_(std::move(fn)) {}
  void Run() override { fn_(); }

 private:
  Fn fn_;
};

template <class Fn>
std::unique_ptr<Message> MakeMessage(Fn fn) {
  return std::make_unique<FunctionMessage<Fn>>(std::move(fn));
}

}  // namespace emberkv::server
