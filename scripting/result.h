// Result<T>: a value or the error reply a command would send, as text without
// the leading '-' ("ERR Error compiling script ..."). Errors are values here,
// as everywhere in emberkv: nothing in scripting/ throws.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace emberkv::scripting {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit, like StatusOr
  static Result Error(std::string message) { return Result(ErrorText{std::move(message)}); }

  bool ok() const { return state_.index() == 0; }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const std::string& error() const { return std::get<1>(state_).text; }

 private:
  struct ErrorText {
    std::string text;
  };
  explicit Result(ErrorText error) : state_(std::move(error)) {}
  std::variant<T, ErrorText> state_;
};

}  // namespace emberkv::scripting
