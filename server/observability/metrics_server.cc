#include "server/observability/metrics_server.h"

#include <absl/strings/str_cat.h>

#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <string_view>
#include <vector>

#include "server/engine/engine.h"
#include "server/observability/http_request.h"
#include "server/observability/prometheus.h"
#include "server/observability/stats_snapshot.h"
#include "server/util/ascii.h"

namespace emberkv::server {
namespace {

constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";
constexpr size_t kReadChunk = 4096;

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

}  // namespace

// One HTTP connection, on worker 0. Every handler holds the session alive;
// the session holds only the state it shares with the server.
class MetricsSession : public std::enable_shared_from_this<MetricsSession> {
 public:
  MetricsSession(std::shared_ptr<MetricsServer::Shared> shared, asio::ip::tcp::socket socket)
      : shared_(std::move(shared)), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    ++shared_->sessions;
  }
  ~MetricsSession() { --shared_->sessions; }

  void Start() {
    ArmTimer();
    Read();
  }

  // Waiting for a request (rather than answering one): may be dropped to
  // make room for a new connection.
  bool waiting() const { return !answering_ && !closed_; }

  void Close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  // A request must arrive (and its answer leave) within kRequestTimeout.
  void ArmTimer() {
    timer_.expires_after(MetricsServer::kRequestTimeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->Close();
    });
  }

  void Read() {
    if (closed_) return;
    size_t old_size = input_.size();
    input_.resize(old_size + kReadChunk);
    socket_.async_read_some(
        asio::buffer(input_.data() + old_size, kReadChunk),
        [self = shared_from_this(), old_size](const asio::error_code& error, size_t n) {
          self->input_.resize(old_size + n);
          if (error || self->closed_ || self->shared_->closed) return self->Close();
          self->Process();
        });
  }

  void Process() {
    switch (parser_.Parse(input_)) {
      case HttpRequestParser::Status::kNeedMore:
        return Read();
      case HttpRequestParser::Status::kBad:
        return Respond(400, kTextType, "bad request\n", /*close=*/true);
      case HttpRequestParser::Status::kTooLarge:
        return Respond(431, kTextType, "request header fields too large\n", /*close=*/true);
      case HttpRequestParser::Status::kBadVersion:
        return Respond(505, kTextType, "only HTTP/1.0 and HTTP/1.1\n", /*close=*/true);
      case HttpRequestParser::Status::kDone:
        break;
    }
    request_ = parser_.request();
    answering_ = true;
    input_.erase(0, parser_.consumed());
    parser_.Reset();
    head_only_ = request_.method == "HEAD";
    if (request_.method != "GET" && !head_only_) {
      return Respond(405, kTextType, "only GET and HEAD\n", !request_.keep_alive,
                     "Allow: GET, HEAD\r\n");
    }
    Engine& engine = *shared_->engine;
    if (request_.path == "/healthz") return Respond(200, kTextType, "ok\n", !request_.keep_alive);
    if (request_.path == "/readyz") {
      if (engine.accepting()) return Respond(200, kTextType, "ready\n", !request_.keep_alive);
      return Respond(503, kTextType, "shutting down\n", !request_.keep_alive);
    }
    if (request_.path == "/metrics") {
      // On loop 0, which holds no shard between its handlers.
      StatsSnapshot snapshot;
      Worker& home = engine.worker(0);
      home.locks().set_now_ms(home.now_ms());
      TakeSnapshot(engine, home.locks(), &snapshot);
      return Respond(200, kPrometheusType, RenderPrometheus(engine, snapshot),
                     !request_.keep_alive);
    }
    if (request_.path == "/") {
      return Respond(200, kTextType, "emberkv: /metrics (Prometheus), /healthz, /readyz\n",
                     !request_.keep_alive);
    }
    Respond(404, kTextType, "not found\n", !request_.keep_alive);
  }

  void Respond(int status, std::string_view type, std::string body, bool close,
               std::string_view extra = {}) {
    if (closed_) return;
    close = close || shared_->closed;
    response_ =
        absl::StrCat("HTTP/1.1 ", status, " ", ToAbsl(Reason(status)),
                     "\r\nContent-Type: ", ToAbsl(type), "\r\nContent-Length: ", body.size(),
                     "\r\n", ToAbsl(extra), close ? "Connection: close\r\n" : "", "\r\n");
    if (!head_only_) response_.append(body);
    head_only_ = false;
    asio::async_write(socket_, asio::buffer(response_),
                      [self = shared_from_this(), close](const asio::error_code& error, size_t) {
                        std::string().swap(self->response_);
                        self->answering_ = false;
                        if (error || close || self->shared_->closed) return self->Close();
                        self->ArmTimer();
                        self->Process();  // a pipelined request may be waiting
                      });
  }

  std::shared_ptr<MetricsServer::Shared> shared_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::string input_;  // received, not yet parsed (bounded by the parser's limit)
  HttpRequestParser parser_;
  HttpRequest request_;
  std::string response_;
  bool head_only_ = false;
  bool answering_ = false;  // from a complete request until its answer is sent
  bool closed_ = false;
};

MetricsServer::MetricsServer(Engine& engine)
    : engine_(engine), shared_(std::make_shared<Shared>()) {
  shared_->engine = &engine;
}

MetricsServer::~MetricsServer() = default;

std::optional<std::string> MetricsServer::Open() {
  const ServerConfig& config = engine_.config();
  asio::error_code error;
  asio::ip::address address = asio::ip::make_address(config.metrics_bind, error);
  if (error) return "invalid metrics-bind address '" + config.metrics_bind + "'";
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(engine_.worker(0).io());
  asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(config.metrics_port));
  acceptor->open(endpoint.protocol(), error);
  if (!error) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor->bind(endpoint, error);
  if (!error) acceptor->listen(64, error);
  if (error) {
    return "could not listen for metrics on " + config.metrics_bind + ":" +
           std::to_string(config.metrics_port) + ": " + error.message();
  }
  port_ = acceptor->local_endpoint().port();
  address_ = config.metrics_bind;
  acceptor_ = std::move(acceptor);
  return std::nullopt;
}

void MetricsServer::Start() {
  if (acceptor_) Accept();
}

void MetricsServer::Accept() {
  acceptor_->async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || shared_->closed || !acceptor_->is_open()) return;
    if (!error) {
      std::erase_if(shared_->live,
                    [](const std::weak_ptr<MetricsSession>& s) { return s.expired(); });
      bool room = shared_->sessions < kMaxSessions;
      if (!room) {
        // Full: the oldest connection still waiting for its request makes
        // room (it goes once its cancelled operations return), so that idle
        // or slow connections cannot lock probes out.
        for (auto& weak : shared_->live) {
          auto oldest = weak.lock();
          if (oldest && oldest->waiting()) {
            oldest->Close();
            room = true;
            break;
          }
        }
      }
      if (!room) {
        asio::error_code ignored;
        socket.close(ignored);  // every connection is being answered
      } else {
        auto session = std::make_shared<MetricsSession>(shared_, std::move(socket));
        shared_->live.push_back(session);
        session->Start();
      }
      Accept();
      return;
    }
    // Out of descriptors, or the like: try again shortly rather than spin.
    auto retry = std::make_shared<asio::steady_timer>(acceptor_->get_executor(),
                                                      std::chrono::milliseconds(100));
    retry->async_wait([this, retry](const asio::error_code& wait_error) {
      if (!wait_error && !shared_->closed) Accept();
    });
  });
}

void MetricsServer::Close() {
  shared_->closed = true;
  if (acceptor_) {
    asio::error_code ignored;
    acceptor_->close(ignored);
  }
  for (auto& weak : shared_->live) {
    if (auto session = weak.lock()) session->Close();
  }
  shared_->live.clear();
}

}  // namespace emberkv::server
