#include "server/server.h"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "server/command_table.h"
#include "server/engine/engine.h"
#include "server/engine/startup_pages.h"
#include "server/info.h"
#include "server/net/io_engine.h"
#include "server/net/listener.h"
#include "server/observability/cycle_clock.h"
#include "server/observability/metrics_server.h"
#include "server/observability/stats_snapshot.h"

namespace emberkv::server {

int RunServer(ServerConfig config) {
  CommandTable::Get();  // build the table before any worker reads it
  CycleClock::Start();  // the baseline of the command timer's rate
  std::string io_error;
  std::optional<IoEngineChoice> io = ChooseIoEngine(config.io_engine, &io_error);
  if (!io) {
    std::fprintf(stderr, "emberkv: %s\n", io_error.c_str());
    return 1;
  }
  std::fprintf(stderr, "emberkv: %s\n", io->log_line.c_str());
  Engine engine(std::move(config), io->engine);
  Listener listener(engine);
  if (std::optional<std::string> error = listener.Open()) {
    std::fprintf(stderr, "emberkv: %s\n", error->c_str());
    return 1;
  }
  engine.config().port = listener.port();  // INFO tcp_port and CONFIG GET port tell the real one

  // /metrics, /healthz, /readyz. A port that is taken does not stop the
  // server (two local instances both default to 9121): it serves clients
  // without the listener, and says so.
  MetricsServer metrics(engine);
  if (engine.config().metrics_port >= 0) {
    if (std::optional<std::string> error = metrics.Open()) {
      std::fprintf(stderr, "emberkv: warning: %s; serving without /metrics, /healthz and /readyz\n",
                   error->c_str());
    }
  }
  for (int w = 0; w < engine.worker_count(); ++w) {
    Worker* worker = &engine.worker(w);
    worker->AddCronHook([worker] { ObservabilityCronTick(*worker); });
  }

  // The main thread only waits for a stop request and supervises the stop.
  asio::io_context main_loop(1);
  asio::signal_set signals(main_loop, SIGINT, SIGTERM);
  asio::steady_timer stop_timer(main_loop);
  std::chrono::steady_clock::time_point stop_deadline;
  bool stopping = false;
  // Set on worker 0 once the listener is closed. Until then a client may
  // still be accepted (and counted), so a count of zero does not yet mean
  // that nobody is left: stopping the workers then would strand clients
  // accepted later on workers that no longer run.
  std::atomic<bool> listener_closed{false};

  std::function<void()> wait_for_clients = [&] {
    // Done when every client has run what it sent and been closed, or at the
    // shutdown timeout.
    bool all_gone =
        listener_closed.load(std::memory_order_acquire) && engine.connected_clients().load() <= 0;
    if (all_gone || std::chrono::steady_clock::now() >= stop_deadline) {
      // /readyz has said 503 since the stop began; the listener goes last.
      engine.worker(0).PostFromAnyThread(MakeMessage([&metrics] { metrics.Close(); }));
      engine.Stop();
      main_loop.stop();
      return;
    }
    stop_timer.expires_after(std::chrono::milliseconds(2));
    stop_timer.async_wait([&](const asio::error_code& error) {
      if (!error) wait_for_clients();
    });
  };
  auto begin_stop = [&] {
    if (stopping) return;
    stopping = true;
    engine.set_accepting(false);
    engine.worker(0).PostFromAnyThread(MakeMessage([&listener, &listener_closed] {
      listener.Close();
      listener_closed.store(true, std::memory_order_release);
    }));
    for (int w = 0; w < engine.worker_count(); ++w) {
      engine.worker(w).PostFromAnyThread(
          MakeMessage([] { Worker::Current()->DrainConnections(); }));
    }
    stop_deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(engine.config().shutdown_timeout_ms);
    wait_for_clients();
  };
  std::function<void(const asio::error_code&, int)> on_signal = [&](const asio::error_code& error,
                                                                    int) {
    if (error) return;
    if (stopping) std::_Exit(1);  // a second signal: stop at once
    begin_stop();
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  engine.set_shutdown_handler([&] { asio::post(main_loop, begin_stop); });

  engine.worker(0).PostFromAnyThread(MakeMessage([&listener, &metrics] {
    listener.Start();
    metrics.Start();
  }));
  engine.Start();
  // Tools read the port from this line; the metrics listener's address is
  // appended, so that they can find it too (its port may have been 0).
  std::string metrics_text =
      metrics.open() ? ", metrics on " + metrics.address() + ":" + std::to_string(metrics.port())
                     : "";
  std::printf("emberkv %s ready: listening on %s:%d with %d threads%s\n",
              std::string(kEmberkvVersion).c_str(), engine.config().bind.front().c_str(),
              listener.port(), engine.worker_count(), metrics_text.c_str());
  std::fflush(stdout);
  // Start-up is over once every worker has handled a message (the listener's
  // start above is worker 0's first): then the pages of the binary it
  // touched and malloc's free memory go back (see startup_pages.h), and
  // only the code the server runs becomes resident again. `workers_ready`
  // and `main_loop` live in this frame until after engine.Join().
  std::atomic<int> workers_ready{0};
  for (int w = 0; w < engine.worker_count(); ++w) {
    engine.worker(w).PostFromAnyThread(
        MakeMessage([&workers_ready, &main_loop, loops = engine.worker_count()] {
          if (workers_ready.fetch_add(1) + 1 == loops)
            asio::post(main_loop, [] { ReleaseStartupPages(); });
        }));
  }

  auto guard = asio::make_work_guard(main_loop);
  main_loop.run();
  engine.Join();
  return 0;
}

}  // namespace emberkv::server
