// Incremental parser for client requests in RESP2: multibulk (`*2\r\n$3\r\nGET\r\n...`)
// and inline commands (`GET key\r\n`, as typed into telnet).
//
// The parser is fed the whole unconsumed input of one connection each time and
// resumes where it stopped: bytes may arrive split anywhere, and a half-arrived
// command is never re-scanned from its start. It never allocates what a client
// merely announced: a `$500000000` header costs nothing until the bytes arrive
// (the caller's buffer grows with what is received, and the argument list grows
// with the arguments seen, like Redis's `min(count, 1024)` initial argv).
//
// Errors carry Redis 7's exact texts; after an error the connection must be
// closed once the error reply is written (see ParseStatus::kError). One
// deliberate difference: a line longer than the inline limit is refused
// whether it arrived in pieces or at once (Redis refuses it only while it is
// incomplete), so the outcome never depends on how the network split it.
//
// Thread safety: one parser per connection, used by that connection's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::protocol {

// Limits as in Redis: proto-max-bulk-len, PROTO_INLINE_MAX_SIZE and the two
// limits on clients that have not authenticated yet.
struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  size_t max_inline_len = 64 * 1024;
  int64_t max_unauthenticated_args = 10;
  int64_t max_unauthenticated_bulk_len = 16 * 1024;
};

enum class ParseStatus {
  kCommand,   // a whole command is parsed: see args() and consumed()
  kNeedMore,  // the input ends inside a command; call again with more bytes
  kError,     // the input breaks the protocol: reply ErrorMessage() and close
};

enum class ProtocolError {
  kNone,
  kInvalidMultibulkLength,
  kInvalidBulkLength,
  kExpectedDollar,
  kTooBigInlineRequest,
  kTooBigMbulkCountString,
  kTooBigBulkCountString,
  kUnbalancedQuotes,
  kUnauthenticatedMultibulkLength,
  kUnauthenticatedBulkLength,
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses the next command from `input`, which must begin at the first byte
  // not yet consumed and must extend (not change) the input of the previous
  // call while that call returned kNeedMore. Empty commands (`*0`, `*-1`, blank
  // inline lines) are skipped silently, as Redis does; their bytes count in
  // consumed().
  ParseStatus Parse(std::string_view input);

  // After kCommand: the arguments, valid until the caller changes `input` or
  // calls Parse again. Multibulk arguments point into `input`; inline ones
  // (which may carry quotes and escapes) point into the parser's own storage.
  const std::vector<std::string_view>& args() const { return args_; }

  // Bytes of `input` that the caller may drop: after kCommand, everything up
  // to the end of the command; after kNeedMore, blank lines and empty commands
  // skipped before the incomplete one (the parser has re-based its state).
  size_t consumed() const { return consumed_; }

  // After kNeedMore: how many bytes `input` must hold before another call can
  // make progress (0 when unknown, e.g. while waiting for a newline). Lets the
  // caller wait for a large argument without calling Parse on every packet.
  size_t bytes_wanted() const { return bytes_wanted_; }

  ProtocolError error() const { return error_; }
  // The error reply's text without the leading '-' and trailing CRLF, e.g.
  // "ERR Protocol error: invalid bulk length".
  std::string ErrorMessage() const;

  // Whether the tighter limits for unauthenticated clients apply.
  void set_auth_required(bool required) { auth_required_ = required; }
  const ParserLimits& limits() const { return limits_; }

  // Forgets any partial command (e.g. after the caller discarded its input).
  void Reset();

 private:
  // `command` is the input from the first byte of the command being parsed.
  ParseStatus ParseMultibulk(std::string_view command);
  ParseStatus ParseInline(std::string_view command);
  ParseStatus Fail(ProtocolError error);
  void FinishCommand(std::string_view command);

  ParserLimits limits_;
  bool auth_required_ = false;

  // State of the command in progress, as offsets into `input` so that the
  // caller may move its buffer between calls.
  bool in_multibulk_ = false;
  int64_t args_expected_ = 0;  // count announced by the '*' header
  int64_t bulk_len_ = -1;      // length of the bulk being read, -1 before its '$' line
  size_t pos_ = 0;             // bytes of the current command consumed by its parsed parts
  size_t scan_from_ = 0;       // where the search for the current line's end resumes
  struct Span {
    size_t offset;
    size_t length;
  };
  std::vector<Span> spans_;

  std::vector<std::string_view> args_;
  std::vector<std::string> inline_storage_;
  size_t consumed_ = 0;
  size_t bytes_wanted_ = 0;
  ProtocolError error_ = ProtocolError::kNone;
  char unexpected_byte_ = 0;
};

}  // namespace emberkv::protocol
