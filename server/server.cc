#include "server/server.h"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <cstdio>

#include "server/command_table.h"
#include "server/engine/engine.h"
#include "server/info.h"
#include "server/net/listener.h"

namespace emberkv::server {

int RunServer(ServerConfig config) {
  CommandTable::Get();  // build the table before any worker reads it
  Engine engine(std::move(config));
  Listener listener(engine);
  if (std::optional<std::string> error = listener.Open()) {
    std::fprintf(stderr, "emberkv: %s\n", error->c_str());
    return 1;
  }

  asio::io_context main_loop(1);
  asio::signal_set signals(main_loop, SIGINT, SIGTERM);
  auto stop = [&] {
    engine.worker(0).PostFromAnyThread(MakeMessage([&listener] { listener.Close(); }));
    engine.Stop();
    main_loop.stop();
  };
  signals.async_wait([&](const asio::error_code& error, int) {
    if (!error) stop();
  });
  engine.set_shutdown_handler([&] { asio::post(main_loop, stop); });

  engine.worker(0).PostFromAnyThread(MakeMessage([&listener] { listener.Start(); }));
  engine.Start();
  std::printf("emberkv %s ready: listening on %s:%d with %d threads\n",
              std::string(kEmberkvVersion).c_str(), engine.config().bind.front().c_str(), listener.port(),
              engine.shard_count());
  std::fflush(stdout);

  auto guard = asio::make_work_guard(main_loop);
  main_loop.run();
  engine.Join();
  return 0;
}

}  // namespace emberkv::server
