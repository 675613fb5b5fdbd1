// Every client of the server, for the commands that look at clients other
// than their own (CLIENT LIST, CLIENT KILL, INFO's clients section) without
// asking each loop for them.
//
// Thread safety: Add and Remove by a client's own loop; ForEach from any
// loop. The lock guards the set, the clients' strings and their blocked
// waits (client.h); the rest of what ForEach's callback reads is atomic. A callback must not
// block, and must not keep a Client* past the call: the client may go as
// soon as the lock is let go.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <mutex>

namespace emberkv::server {

class Client;

class ClientRegistry {
 public:
  void Add(Client* client) {
    std::lock_guard lock(mutex_);
    clients_.insert(client);
  }
  void Remove(Client* client) {
    std::lock_guard lock(mutex_);
    clients_.erase(client);
  }

  // Calls fn(Client&) for every client, under the lock.
  template <class Fn>
  void ForEach(Fn&& fn) {
    std::lock_guard lock(mutex_);
    for (Client* client : clients_) fn(*client);
  }

  // For a client writing what other loops read under the lock (its name,
  // its blocked wait).
  std::unique_lock<std::mutex> LockClientFields() { return std::unique_lock(mutex_); }

 private:
  std::mutex mutex_;
  absl::flat_hash_set<Client*> clients_;
};

}  // namespace emberkv::server
