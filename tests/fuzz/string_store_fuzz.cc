// libFuzzer harness for the store: random sequences of string and key
// operations against a Database, checked step by step against a plain
// std::map model (with deadlines), across index resizes, external values,
// in-place rewrites and the timing wheel.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "storage/key_ops.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"

namespace {

using namespace emberkv::storage;

struct Model {
  struct Value {
    std::string bytes;
    int64_t deadline = 0;  // 0: none
  };
  std::map<std::string, Value> keys;
  int64_t now = 1'000'000;

  std::optional<Value> Get(const std::string& key) {
    auto it = keys.find(key);
    if (it == keys.end()) return std::nullopt;
    if (it->second.deadline && it->second.deadline <= now) {
      keys.erase(it);
      return std::nullopt;
    }
    return it->second;
  }
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  std::string Key() { return "k" + std::to_string(Byte() % 24); }
  std::string Value() {
    uint8_t kind = Byte();
    size_t length = kind < 200 ? kind % 40 : (kind < 250 ? 300 + kind * 7 : 5000 + kind * 20);
    return std::string(length, static_cast<char>('a' + Byte() % 26));
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  Model model;
  ShardStore store(2);
  store.set_now_ms(model.now);
  Database& db = store.db(0);
  int steps = 0;
  while (!in.done() && ++steps < 2000) {
    uint8_t op = in.Byte() % 12;
    std::string key = in.Key();
    switch (op) {
      case 0: {  // SET [EX]
        std::string value = in.Value();
        int64_t deadline = in.Byte() % 3 == 0 ? model.now + 1 + in.Byte() * 10 : 0;
        strings::SetOptions options;
        if (deadline) options.expiry = ExpiryChange::At(deadline);
        Check(strings::Set(db, key, value, options).status == OpStatus::kOk);
        model.keys[key] = {value, deadline};
        break;
      }
      case 1: {  // GET
        std::string_view got;
        OpStatus status = strings::Get(db, key, &got);
        auto expected = model.Get(key);
        Check((status == OpStatus::kOk) == expected.has_value());
        if (expected) Check(got == expected->bytes);
        break;
      }
      case 2: {  // DEL
        Check(keys::Delete(db, key) == model.Get(key).has_value());
        model.keys.erase(key);
        break;
      }
      case 3: {  // APPEND
        std::string suffix = in.Value();
        auto expected = model.Get(key);
        auto result = strings::Append(db, key, suffix);
        Check(result.ok());
        std::string bytes = (expected ? expected->bytes : "") + suffix;
        Check(result.value == static_cast<int64_t>(bytes.size()));
        model.keys[key] = {bytes, expected ? expected->deadline : 0};
        break;
      }
      case 4: {  // SETRANGE
        int64_t offset = in.Byte() % 64;
        std::string value = in.Value();
        auto expected = model.Get(key);
        auto result = strings::SetRange(db, key, offset, value);
        Check(result.ok());
        std::string bytes = expected ? expected->bytes : "";
        if (!value.empty()) {
          if (bytes.size() < offset + value.size()) bytes.resize(offset + value.size(), '\0');
          bytes.replace(offset, value.size(), value);
          model.keys[key] = {bytes, expected ? expected->deadline : 0};
        }
        Check(result.value == static_cast<int64_t>(bytes.size()));
        break;
      }
      case 5: {  // EXPIRE / PERSIST
        auto expected = model.Get(key);
        if (in.Byte() & 1) {
          int64_t deadline = model.now + 1 + in.Byte() * 10;
          Check(keys::Expire(db, key, deadline, {}) == expected.has_value());
          if (expected) model.keys[key].deadline = deadline;
        } else {
          bool had = expected && expected->deadline;
          Check(keys::Persist(db, key) == had);
          if (had) model.keys[key].deadline = 0;
        }
        break;
      }
      case 6: {  // PTTL
        auto expected = model.Get(key);
        int64_t ttl = keys::TimeToLive(db, key, false);
        if (!expected) {
          Check(ttl == -2);
        } else if (!expected->deadline) {
          Check(ttl == -1);
        } else {
          Check(ttl == expected->deadline - model.now);
        }
        break;
      }
      case 7: {  // RENAME
        std::string to = in.Key();
        auto expected = model.Get(key);
        OpStatus status = keys::Rename(db, key, db, to, false);
        Check((status == OpStatus::kOk) == expected.has_value());
        if (expected) {
          model.keys.erase(key);
          model.keys[to] = *expected;
        }
        break;
      }
      case 8: {  // time passes; the wheel reclaims
        model.now += in.Byte() * 5;
        store.set_now_ms(model.now);
        store.ExpireDue(SIZE_MAX);
        for (auto it = model.keys.begin(); it != model.keys.end();) {
          if (it->second.deadline && it->second.deadline <= model.now) {
            it = model.keys.erase(it);
          } else {
            ++it;
          }
        }
        Check(db.size() == model.keys.size());
        break;
      }
      case 9: {  // INCRBY on numeric text
        auto expected = model.Get(key);
        int64_t delta = static_cast<int8_t>(in.Byte());
        auto result = strings::IncrBy(db, key, delta);
        int64_t current = 0;
        bool numeric = true;
        if (expected) {
          char* end;
          const std::string& s = expected->bytes;
          long long v = s.empty() ? 0 : std::strtoll(s.c_str(), &end, 10);
          numeric = !s.empty() && *end == '\0' && s == std::to_string(v);
          current = v;
        }
        Check(result.ok() == numeric);
        if (numeric) {
          model.keys[key] = {std::to_string(current + delta), expected ? expected->deadline : 0};
          Check(result.value == current + delta);
        }
        break;
      }
      case 10: {  // GETRANGE
        std::string_view out;
        int64_t start = static_cast<int8_t>(in.Byte()), end = static_cast<int8_t>(in.Byte());
        Check(strings::GetRange(db, key, start, end, &out) == OpStatus::kOk);
        auto expected = model.Get(key);
        std::string bytes = expected ? expected->bytes : "";
        int64_t n = static_cast<int64_t>(bytes.size());
        std::string want;
        if (!(start < 0 && end < 0 && start > end)) {
          if (start < 0) start += n;
          if (end < 0) end += n;
          if (start < 0) start = 0;
          if (end < 0) end = 0;
          if (end >= n) end = n - 1;
          if (start <= end && n > 0) want = bytes.substr(start, end - start + 1);
        }
        Check(out == want);
        break;
      }
      default: {  // FLUSHDB now and then
        if (in.Byte() % 16 == 0) {
          db.Clear();
          model.keys.clear();
        }
        break;
      }
    }
  }
  store.FlushAll();
  Check(store.context().arena.allocated_bytes() == 0);
  Check(store.context().external_bytes == 0);
  return 0;
}
