#include "storage/list_value.h"

#include <catch2/catch.hpp>
#include <deque>
#include <random>
#include <string>

using namespace emberkv::storage;

namespace {

std::string Element(std::mt19937_64& rng) {
  // Mostly short, sometimes around a block's size, rarely bigger than one.
  size_t length;
  switch (rng() % 10) {
    case 0:
      length = 0;
      break;
    case 1:
      length = 100 + rng() % 400;
      break;
    case 2:
      length = rng() % 100 == 0 ? ListValue::kBlockBytes + rng() % 3000 : 1000 + rng() % 3000;
      break;
    default:
      length = 1 + rng() % 20;
  }
  std::string s(length, 'a');
  for (char& c : s) c = static_cast<char>('a' + rng() % 3);  // repeats, for LREM
  return s;
}

void CheckSame(const ListValue& list, const std::deque<std::string>& model) {
  REQUIRE(list.Verify());
  REQUIRE(list.size() == model.size());
  if (model.empty()) return;
  size_t i = 0;
  for (ListValue::Cursor c = list.CursorAt(0); c.valid(); c.Next())
    REQUIRE(c.value() == model[i++]);
  REQUIRE(i == model.size());
  for (ListValue::Cursor c = list.CursorAt(model.size() - 1); c.valid(); c.Prev())
    REQUIRE(c.value() == model[--i]);
  REQUIRE(i == 0);
}

}  // namespace

TEST_CASE("list pushes and pops at both ends") {
  ListValue list;
  CHECK(list.empty());
  CHECK(list.MemoryUsage() == sizeof(ListValue));
  list.Push(ListEnd::kTail, "b");
  list.Push(ListEnd::kHead, "a");
  list.Push(ListEnd::kTail, "c");
  CHECK(list.size() == 3);
  CHECK(list.At(0) == "a");
  CHECK(list.At(1) == "b");
  CHECK(list.At(2) == "c");
  CHECK(list.Verify());
  CHECK(list.Pop(ListEnd::kTail) == "c");
  CHECK(list.Pop(ListEnd::kHead) == "a");
  CHECK(list.Pop(ListEnd::kHead) == "b");
  CHECK(list.empty());
  CHECK(list.Verify());
  CHECK(list.MemoryUsage() == sizeof(ListValue));
}

TEST_CASE("a small list is one small block") {
  ListValue list;
  for (int i = 0; i < 3; ++i) list.Push(ListEnd::kTail, "value" + std::to_string(i));
  CHECK(list.block_count() == 1);
  CHECK(list.MemoryUsage() <= sizeof(ListValue) + 64);
}

TEST_CASE("a big list is blocks of about kBlockBytes") {
  ListValue list;
  for (int i = 0; i < 100000; ++i) list.Push(ListEnd::kTail, "element:" + std::to_string(i));
  CHECK(list.Verify());
  // About 16 bytes per element, 8 KiB per block.
  CHECK(list.block_count() < 100000 * 18 / ListValue::kBlockBytes + 10);
  CHECK(list.MemoryUsage() < 100000 * 22);
  CHECK(list.At(0) == "element:0");
  CHECK(list.At(54321) == "element:54321");
  CHECK(list.At(99999) == "element:99999");
}

TEST_CASE("an element bigger than a block gets a block of its own") {
  ListValue list;
  std::string big(3 * ListValue::kBlockBytes, 'x');
  list.Push(ListEnd::kTail, "a");
  list.Push(ListEnd::kTail, big);
  list.Push(ListEnd::kTail, "b");
  list.Push(ListEnd::kHead, big);
  CHECK(list.Verify());
  CHECK(list.size() == 4);
  CHECK(list.At(1) == "a");
  CHECK(list.At(2) == big);
  list.Set(1, big);
  CHECK(list.At(1) == big);
  CHECK(list.Verify());
  CHECK(list.RemoveEqual(big, 0, ListEnd::kHead) == 3);
  CHECK(list.size() == 1);
  CHECK(list.At(0) == "b");
  CHECK(list.Verify());
}

TEST_CASE("list operations match a model under random sequences") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    ListValue list;
    std::deque<std::string> model;
    int steps = seed % 4 == 0 ? 20000 : 2000;
    for (int step = 0; step < steps; ++step) {
      int op = static_cast<int>(rng() % 100);
      if (op < 30 || model.empty()) {
        std::string value = Element(rng);
        if (rng() % 2) {
          list.Push(ListEnd::kHead, value);
          model.push_front(value);
        } else {
          list.Push(ListEnd::kTail, value);
          model.push_back(value);
        }
      } else if (op < 50) {
        if (rng() % 2) {
          REQUIRE(list.Pop(ListEnd::kHead) == model.front());
          model.pop_front();
        } else {
          REQUIRE(list.Pop(ListEnd::kTail) == model.back());
          model.pop_back();
        }
      } else if (op < 60) {
        size_t index = rng() % model.size();
        REQUIRE(list.At(index) == model[index]);
      } else if (op < 68) {
        size_t index = rng() % model.size();
        std::string value = Element(rng);
        list.Set(index, value);
        model[index] = value;
      } else if (op < 78) {
        size_t index = rng() % (model.size() + 1);
        std::string value = Element(rng);
        list.Insert(index, value);
        model.insert(model.begin() + static_cast<long>(index), value);
      } else if (op < 84) {
        std::string value = model[rng() % model.size()];
        size_t limit = rng() % 3;
        ListEnd from = rng() % 2 ? ListEnd::kHead : ListEnd::kTail;
        size_t expected = 0;
        if (from == ListEnd::kHead) {
          for (auto it = model.begin(); it != model.end();) {
            if (*it == value && (limit == 0 || expected < limit)) {
              it = model.erase(it);
              ++expected;
            } else {
              ++it;
            }
          }
        } else {
          for (size_t i = model.size(); i-- > 0;) {
            if (model[i] == value && (limit == 0 || expected < limit)) {
              model.erase(model.begin() + static_cast<long>(i));
              ++expected;
            }
          }
        }
        REQUIRE(list.RemoveEqual(value, limit, from) == expected);
      } else if (op < 87) {
        size_t head = rng() % (model.size() / 4 + 1);
        size_t tail = rng() % ((model.size() - head) / 4 + 1);
        list.Trim(head, tail);
        model.erase(model.begin(), model.begin() + static_cast<long>(head));
        model.erase(model.end() - static_cast<long>(tail), model.end());
      } else if (op < 88) {
        std::unique_ptr<ValueObject> copy = list.Clone();
        CheckSame(static_cast<ListValue&>(*copy), model);
      } else {
        // Bursts at one end, to make and empty whole blocks.
        int n = static_cast<int>(rng() % 300);
        ListEnd end = rng() % 2 ? ListEnd::kHead : ListEnd::kTail;
        for (int k = 0; k < n; ++k) {
          std::string value = "burst" + std::to_string(k);
          list.Push(end, value);
          if (end == ListEnd::kHead) {
            model.push_front(value);
          } else {
            model.push_back(value);
          }
        }
      }
      if (step % 97 == 0) CheckSame(list, model);
    }
    CheckSame(list, model);
  }
}

TEST_CASE("alternating pushes on a full-size block stay cheap and correct") {
  ListValue list;
  for (int i = 0; i < 300; ++i) list.Push(ListEnd::kTail, "0123456789");
  for (int i = 0; i < 20000; ++i) list.Push(i % 2 ? ListEnd::kHead : ListEnd::kTail, "abcdefghij");
  CHECK(list.Verify());
  CHECK(list.size() == 20300);
}

TEST_CASE("a big list is released a slice at a time") {
  ListValue list;
  for (int i = 0; i < 1'000'000; ++i) list.Push(ListEnd::kTail, "item" + std::to_string(i));
  REQUIRE(list.CostlyToDelete());
  size_t slices = 0;
  size_t before = list.MemoryUsage();
  while (list.ReleaseSome(64) > 0) {
    ++slices;
    CHECK(list.MemoryUsage() < before);
    before = list.MemoryUsage();
  }
  CHECK(slices > 10);
  CHECK_FALSE(list.CostlyToDelete());
  CHECK(list.Verify());
}

TEST_CASE("a million-element list lives in a few thousand blocks, so clearing it is quick") {
  // Freeing the list costs one deallocation per block: counting blocks says
  // what a wall-clock limit would say, without failing on a busy machine.
  auto list = std::make_unique<ListValue>();
  for (int i = 0; i < 1'000'000; ++i) list->Push(ListEnd::kHead, "member:" + std::to_string(i));
  CHECK(list->size() == 1'000'000);
  CHECK(list->block_count() < 5'000);
  CHECK(list->Verify());
  list.reset();
}
