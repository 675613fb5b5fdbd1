#include "server/command_table.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace emberkv::server;

namespace {

void Handle(CommandContext&) {}
std::vector<FoundKey> NoKeys(ArgList) { return {}; }
uint16_t SomeFlags(ArgList) { return kKeyRW; }

// The error CompleteCommand gives for a declaration, or "" when it completes it.
std::string ErrorOf(CommandSpec spec) { return CompleteCommand(&spec).value_or(""); }

CommandSpec Completed(CommandSpec spec) {
  std::optional<std::string> error = CompleteCommand(&spec);
  INFO(error.value_or(""));
  REQUIRE(!error);
  return spec;
}

std::vector<int> KeysOf(const CommandSpec& spec, std::vector<std::string_view> args) {
  std::vector<int> keys;
  spec.ForEachKeyIndex(args, [&keys](int index) { keys.push_back(index); });
  CHECK(spec.KeyIndices(args) == keys);
  return keys;
}

}  // namespace

TEST_CASE("a declaration is completed from Redis's data") {
  CommandSpec get = Completed({.name = "get", .handler = Handle});
  CHECK(get.data == FindCommandData("get"));
  CHECK(get.arity == 2);
  CHECK(get.flags == (kCmdReadOnly | kCmdFast));
  CHECK(get.legacy_range.first == 1);
  CHECK(get.legacy_range.last == 1);
  CHECK(get.legacy_range.step == 1);
  CHECK(get.key_form == CommandSpec::KeyForm::kRange);
  CHECK(get.fixed_first_key() == 1);
  CHECK(KeysOf(get, {"get", "k"}) == std::vector<int>{1});

  // emberkv's flags are declared, and kept beside Redis's.
  CommandSpec touch = Completed({.name = "touch", .handler = Handle, .flags = kCmdAlwaysTouches});
  CHECK(touch.flags == (kCmdReadOnly | kCmdFast | kCmdAlwaysTouches));

  CommandSpec client =
      Completed({.name = "client", .subcommands = {{.name = "client|id", .handler = Handle}}});
  CHECK(client.arity == -2);
  REQUIRE(client.subcommands.size() == 1);
  CHECK(client.subcommands[0].data == FindCommandData("client|id"));
  CHECK(!client.subcommands[0].has_keys());
}

TEST_CASE("keys are found from the key specs") {
  // One range, with a step, counted from the end.
  CommandSpec mset = Completed({.name = "mset", .handler = Handle});
  CHECK(mset.key_form == CommandSpec::KeyForm::kRange);
  CHECK(KeysOf(mset, {"mset", "a", "1", "b", "2"}) == std::vector<int>{1, 3});
  CommandSpec blpop = Completed({.name = "blpop", .handler = Handle});
  CHECK(KeysOf(blpop, {"blpop", "a", "b", "0"}) == std::vector<int>{1, 2});
  // Two specs that follow each other make one range.
  CommandSpec lmove = Completed({.name = "lmove", .handler = Handle});
  CHECK(lmove.key_form == CommandSpec::KeyForm::kRange);
  CHECK(KeysOf(lmove, {"lmove", "a", "b", "LEFT", "RIGHT"}) == std::vector<int>{1, 2});
  // A destination and numkeys: the specs one by one, in their order.
  CommandSpec zunionstore = Completed({.name = "zunionstore", .handler = Handle});
  CHECK(zunionstore.key_form == CommandSpec::KeyForm::kSpecs);
  CHECK(zunionstore.fixed_first_key() == 0);
  CHECK(zunionstore.legacy_range.first == 1);
  CHECK(zunionstore.legacy_range.last == 1);
  CHECK(KeysOf(zunionstore, {"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"}) ==
        std::vector<int>{1, 3, 4});
  CHECK(KeysOf(zunionstore, {"zunionstore", "d", "x", "a"}) == std::vector<int>{1});
  CommandSpec lmpop = Completed({.name = "lmpop", .handler = Handle});
  CHECK(KeysOf(lmpop, {"lmpop", "2", "a", "b", "LEFT"}) == std::vector<int>{2, 3});
  // Channels are not keys.
  CommandSpec ssubscribe = Completed({.name = "ssubscribe", .handler = Handle});
  CHECK(!ssubscribe.has_keys());
  CHECK(ssubscribe.legacy_range.first == 1);  // but COMMAND INFO counts them, as Redis does
  // Keyless.
  CHECK(!Completed({.name = "ping", .handler = Handle}).has_keys());
  // Keys the specs cannot find: the declared finder.
  CommandSpec sort = Completed({.name = "sort", .handler = Handle, .key_finder = NoKeys});
  CHECK(sort.key_form == CommandSpec::KeyForm::kFinder);
}

TEST_CASE("a wrong declaration is refused") {
  using Catch::Matchers::Contains;
  CHECK_THAT(ErrorOf({.name = "nosuchcommand", .handler = Handle}),
             Contains("Redis has no such command"));
  CHECK_THAT(ErrorOf({.name = "GET", .handler = Handle}), Contains("Redis has no such command"));
  CHECK_THAT(
      ErrorOf({.name = "client", .subcommands = {{.name = "client|nosuch", .handler = Handle}}}),
      Contains("client|nosuch: Redis has no such command"));
  CHECK_THAT(
      ErrorOf({.name = "client", .subcommands = {{.name = "config|get", .handler = Handle}}}),
      Contains("not a subcommand of client"));
  // What the data says is not declared.
  CHECK_THAT(ErrorOf({.name = "get", .handler = Handle, .flags = kCmdWrite}),
             Contains("declares Redis's flags"));
  CHECK_THAT(ErrorOf({.name = "get", .handler = Handle, .arity = 2}),
             Contains("fields that registration completes"));
  CHECK_THAT(ErrorOf({.name = "get"}), Contains("declares no handler"));
  // Keys and key flags the specs cannot give need code, and only they.
  CHECK_THAT(ErrorOf({.name = "sort", .handler = Handle}), Contains("declare a key_finder"));
  CHECK_THAT(ErrorOf({.name = "migrate", .handler = Handle}), Contains("declare a key_finder"));
  CHECK_THAT(ErrorOf({.name = "get", .handler = Handle, .key_finder = NoKeys}),
             Contains("declares a key_finder"));
  CHECK_THAT(ErrorOf({.name = "set", .handler = Handle}), Contains("declare key_flags"));
  CHECK_THAT(ErrorOf({.name = "get", .handler = Handle, .key_flags = SomeFlags}),
             Contains("declares key_flags"));
  CHECK(ErrorOf({.name = "set", .handler = Handle, .key_flags = SomeFlags}).empty());
}

TEST_CASE("every command in the table is completed from the data") {
  for (const CommandSpec* spec : CommandTable::Get().by_id()) {
    INFO(spec->name);
    REQUIRE(spec->data != nullptr);
    CHECK(spec->data->name == spec->name);
    CHECK(spec->arity == spec->data->arity);
    CHECK((spec->flags & ~kEmberFlags) == spec->data->flags);
    CHECK(!spec->data->summary.empty());
    CHECK(!spec->data->group.empty());
  }
}
