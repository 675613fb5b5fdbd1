// Server commands: TIME, SHUTDOWN, INFO. (CONFIG is in config_commands.cc.)
#include <sys/time.h>
#include <unistd.h>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include <cstdio>
#include <string>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/info.h"
#include "server/transaction/multi_shard.h"
#include "storage/glob.h"

namespace emberkv::server {
namespace {

void ConnTime(ConnContext& c) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(tv.tv_sec));
  c.reply.Bulk(std::to_string(tv.tv_usec));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], checked as Redis does: every
// word known, ABORT alone, not both NOSAVE and SAVE; anything else is a
// syntax error and the server keeps running.
void ConnShutdown(ConnContext& c) {
  bool nosave = false, save = false, other = false, abort = false;
  for (size_t i = 1; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    if (Is(opt, "NOSAVE")) {
      nosave = true;
    } else if (Is(opt, "SAVE")) {
      save = true;
    } else if (Is(opt, "NOW") || Is(opt, "FORCE")) {
      other = true;
    } else if (Is(opt, "ABORT")) {
      abort = true;
    } else {
      return c.reply.Error(errors::kSyntax);
    }
  }
  if ((abort && (nosave || save || other)) || (nosave && save)) {
    return c.reply.Error(errors::kSyntax);
  }
  // Nothing is ever in progress here: a shutdown happens at once.
  if (abort) return c.reply.Error(errors::kNoShutdownInProgress);
  // Like Redis, a successful SHUTDOWN sends no reply: the connection closes.
  c.engine.RequestShutdown();
}

Task<void> CoordInfo(CoordContext& c) {
  std::vector<std::string_view> sections(c.args.begin() + 1, c.args.end());
  std::string text = co_await BuildInfo(c, sections);
  c.reply.Verbatim("txt", text);
}

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  table.Register({
      {.name = "time", .conn = ConnTime},
      {.name = "shutdown", .conn = ConnShutdown},
      {.name = "info", .coordinated = CoordInfo},
  });
}

}  // namespace emberkv::server
