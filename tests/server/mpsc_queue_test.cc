#include "server/engine/mpsc_queue.h"

#include <catch2/catch.hpp>
#include <memory>
#include <thread>
#include <vector>

using emberkv::server::MpscNode;
using emberkv::server::MpscQueue;

namespace {
struct Item : MpscNode {
  int producer = 0;
  int sequence = 0;
};
}  // namespace

TEST_CASE("mpsc queue delivers every item once, in order per producer") {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 50000;
  MpscQueue queue;
  // Items are not copyable (atomic link): one array per producer.
  std::vector<std::unique_ptr<Item[]>> items;
  for (int p = 0; p < kProducers; ++p) items.emplace_back(new Item[kPerProducer]);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        items[p][i].producer = p;
        items[p][i].sequence = i;
        queue.Push(&items[p][i]);
      }
    });
  }
  std::vector<int> next(kProducers, 0);
  int received = 0;
  while (received < kProducers * kPerProducer) {
    MpscNode* node = queue.Pop();
    if (!node) {
      std::this_thread::yield();
      continue;
    }
    Item* item = static_cast<Item*>(node);
    REQUIRE(item->sequence == next[item->producer]);
    ++next[item->producer];
    ++received;
  }
  for (auto& t : producers) t.join();
  CHECK(queue.Pop() == nullptr);
  CHECK(queue.Empty());
}
