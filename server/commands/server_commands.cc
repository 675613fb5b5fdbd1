// Server commands: TIME, SHUTDOWN, INFO. (CONFIG is in config_commands.cc.)
#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/info.h"
#include "storage/glob.h"

namespace emberkv::server {
namespace {

void Time(CommandContext& c) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(tv.tv_sec));
  c.reply.Bulk(std::to_string(tv.tv_usec));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], checked as Redis does: every
// word known, ABORT alone, not both NOSAVE and SAVE; anything else is a
// syntax error and the server keeps running.
void Shutdown(CommandContext& c) {
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
  c.engine().RequestShutdown();
}

void Info(CommandContext& c) { c.reply.Verbatim("txt", BuildInfo(c, c.args.subspan(1))); }

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  table.Register({
      {.name = "time", .handler = Time},
      {.name = "shutdown", .handler = Shutdown},
      {.name = "info", .handler = Info, .flags = kCmdVisitsShards},
  });
}

}  // namespace emberkv::server
