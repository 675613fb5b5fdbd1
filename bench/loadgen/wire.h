// What goes over a load generator connection: GET and SET (or another
// write command) requests in RESP
// (encoded with the project's ReplyBuilder, see bench/common) or in
// memcached's text protocol, and the classification of each reply, decoded
// with protocol/reply_reader.h for RESP.
//
// Thread safety: const methods only; one Wire may be shared by all threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/options.h"

namespace emberkv::loadgen {

enum class ReplyKind {
  kIncomplete,  // wait for more bytes
  kMalformed,   // not the protocol: the connection cannot go on
  kStored,      // SET: +OK / STORED
  kHit,         // GET: a value
  kMiss,        // GET: nil / END
  kError,       // an error reply (-ERR ..., SERVER_ERROR ...)
  kUnexpected,  // a well-formed reply that does not answer the request
};

class Wire {
 public:
  explicit Wire(const Options& options);

  void AppendGet(std::string* out, std::string_view key) const;
  // SET key <value_size bytes> [EX ttl], or the --write-command.
  void AppendSet(std::string* out, std::string_view key) const;

  // Classifies the reply at the start of `in`, the answer to a GET (is_get)
  // or a SET. Sets *consumed to its size unless kIncomplete or kMalformed.
  ReplyKind Read(std::string_view in, bool is_get, size_t* consumed) const;

 private:
  ReplyKind ReadResp(std::string_view in, bool is_get, size_t* consumed) const;
  ReplyKind ReadMemcache(std::string_view in, bool is_get, size_t* consumed) const;

  Protocol protocol_;
  std::string value_;
  std::string ttl_;  // decimal, empty when no TTL
  std::vector<std::string> write_command_;
};

}  // namespace emberkv::loadgen
