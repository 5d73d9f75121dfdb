#include "net/http_server.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "net/http_session.hpp"
#include "net/io_thread.hpp"
#include "net/server_core.hpp"

namespace cx::net {

namespace detail {

ServerCore::ServerCore(ServerOptions o, Router r, WsHandlers w)
    : options(std::move(o)),
      router(std::move(r)),
      ws(std::move(w)),
      metrics_owner(options.metrics ? options.metrics : std::make_shared<ServerMetrics>()),
      metrics(*metrics_owner) {
  std::random_device rd;
  char prefix[20];
  std::snprintf(prefix, sizeof prefix, "%08x", static_cast<unsigned>(rd()));
  id_prefix_ = prefix;
}

void ServerCore::add_session(std::uint64_t id, std::weak_ptr<Session> s) {
  const std::lock_guard lock(reg_mutex_);
  sessions_.emplace(id, std::move(s));
}

void ServerCore::remove_session(std::uint64_t id) {
  {
    const std::lock_guard lock(reg_mutex_);
    sessions_.erase(id);
  }
  reg_cv_.notify_all();
}

std::size_t ServerCore::session_count() const {
  const std::lock_guard lock(reg_mutex_);
  return sessions_.size();
}

std::vector<std::shared_ptr<Session>> ServerCore::sessions() const {
  std::vector<std::shared_ptr<Session>> out;
  const std::lock_guard lock(reg_mutex_);
  out.reserve(sessions_.size());
  for (const auto& [id, weak] : sessions_) {
    if (auto s = weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

bool ServerCore::wait_no_sessions(std::chrono::milliseconds timeout) {
  std::unique_lock lock(reg_mutex_);
  return reg_cv_.wait_for(lock, timeout, [this] { return sessions_.empty(); });
}

std::string ServerCore::request_id(std::string_view from_client) {
  if (!from_client.empty() && from_client.size() <= 128) {
    bool sane = true;
    for (char c : from_client) sane = sane && c > 0x20 && c < 0x7f;
    if (sane) return std::string(from_client);
  }
  char buf[40];
  std::snprintf(
      buf, sizeof buf, "%s-%llx", id_prefix_.c_str(),
      static_cast<unsigned long long>(id_counter_.fetch_add(1, std::memory_order_relaxed)));
  return buf;
}

void ServerCore::log(std::string_view message) const {
  if (options.log) options.log(message);
}

std::string remote_address_of(const tcp::socket& socket) {
  beast::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  return ec ? std::string{} : ep.address().to_string();
}

}  // namespace detail

using namespace detail;

struct HttpServer::Impl {
  // Declared first, destroyed last: sessions destroyed with the io_context still use it.
  ServerCore core;
  /// One io_context per I/O thread: a connection stays on the thread that accepted it for its
  /// whole life (and so do the client exchanges its handler starts), so the work of one request
  /// never wakes another thread.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::size_t next_io = 0;             ///< round-robin of accepted connections (acceptor strand)
  std::shared_ptr<HttpClient> client;  ///< on iocs: see HttpServer::client()
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;
  std::vector<std::thread> threads;
  std::atomic<std::uint16_t> port{0};
  bool started = false;
  bool stopped = false;

  Impl(ServerOptions o, Router r, WsHandlers w) : core(std::move(o), std::move(r), std::move(w)) {}

  ~Impl() {
    stop();
    if (client && !started) shutdown_idle_client();
    accept_retry.reset();
    acceptor.reset();
    work.clear();
    iocs.clear();  // destroys handlers never run, and the sessions they held
  }

  /// The io_contexts, created by the first call.
  const std::vector<std::unique_ptr<asio::io_context>>& io() {
    if (iocs.empty()) {
      const unsigned n = std::max(1u, core.options.io_threads);
      for (unsigned i = 0; i < n; ++i) {
        iocs.push_back(std::make_unique<asio::io_context>(1));
        work.push_back(asio::make_work_guard(*iocs.back()));
      }
    }
    return iocs;
  }
  /// The client of a server that never ran: its shutdown needs the io_contexts run meanwhile.
  void shutdown_idle_client() {
    std::vector<std::thread> runners;
    for (auto& ioc : iocs) runners.emplace_back([&ioc] { ioc->run(); });
    client->shutdown();
    for (auto& ioc : iocs) ioc->stop();
    for (auto& t : runners) t.join();
  }
  Result<void> start();
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void stop();
};

Result<void> HttpServer::Impl::start() {
  const ServerOptions& o = core.options;
  if (started) return fail(ErrorCode::InvalidArgument, "server already started");
  if (o.io_threads == 0) return fail(ErrorCode::InvalidArgument, "io_threads must be at least 1");
  if (!o.ws.path.empty() && o.ws.path.front() != '/') {
    return fail(ErrorCode::InvalidArgument, "ws.path must start with '/'");
  }
  beast::error_code ec;
  const auto address = asio::ip::make_address(o.address, ec);
  if (ec) return fail(ErrorCode::InvalidArgument, "bad listen address '" + o.address + "'");
  acceptor.emplace(asio::make_strand(*io().front()));
  accept_retry.emplace(acceptor->get_executor());
  const tcp::endpoint endpoint(address, o.port);
  auto failed = [&](std::string_view what) {
    std::string msg =
        std::string(what) + " " + o.address + ":" + std::to_string(o.port) + ": " + ec.message();
    acceptor.reset();
    accept_retry.reset();
    return fail(ErrorCode::IoError, std::move(msg));
  };
  if (acceptor->open(endpoint.protocol(), ec)) return failed("open");
  if (acceptor->set_option(asio::socket_base::reuse_address(true), ec)) return failed("setsockopt");
  if (acceptor->bind(endpoint, ec)) return failed("bind");
  if (acceptor->listen(asio::socket_base::max_listen_connections, ec)) return failed("listen");
  port.store(acceptor->local_endpoint(ec).port(), std::memory_order_release);
  started = true;
  asio::dispatch(acceptor->get_executor(), [this] { accept(); });
  threads.reserve(iocs.size());
  for (auto& ioc_ptr : iocs) {
    threads.emplace_back([this, ioc = ioc_ptr.get()] {
      this_thread_io() = ioc;
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          core.log(std::string("net: I/O thread caught: ") + e.what());
        }
      }
    });
  }
  return {};
}

void HttpServer::Impl::accept() {
  asio::io_context& ioc = *iocs[next_io++ % iocs.size()];
  acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor->is_open() ||
      core.stopping.load(std::memory_order_acquire)) {
    return;
  }
  if (ec) {  // e.g. out of file descriptors: back off instead of spinning
    core.log("net: accept failed: " + ec.message());
    accept_retry->expires_after(std::chrono::milliseconds(50));
    accept_retry->async_wait([this](beast::error_code wec) {
      if (!wec && acceptor->is_open()) accept();
    });
    return;
  }
  if (core.session_count() >= core.options.max_connections) {
    core.metrics.connection_rejected();
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    std::make_shared<HttpSession>(core, std::move(socket))->start();
  }
  accept();
}

void HttpServer::Impl::stop() {
  if (!started || stopped) return;
  stopped = true;
  core.stopping.store(true, std::memory_order_release);
  asio::post(acceptor->get_executor(), [this] {
    beast::error_code ignored;
    acceptor->close(ignored);
    accept_retry->cancel();
  });
  for (const auto& s : core.sessions()) s->shutdown(false);
  if (!core.wait_no_sessions(core.options.drain_timeout)) {
    for (const auto& s : core.sessions()) s->shutdown(true);
    (void)core.wait_no_sessions(std::chrono::milliseconds(1000));
  }
  // Its exchanges complete (with Shutdown) on our threads, so before they stop.
  if (client) client->shutdown();
  {
    const std::lock_guard lock(core.liveness->mutex);
    core.liveness->alive = false;
  }
  work.clear();
  for (auto& ioc : iocs) ioc->stop();
  for (auto& t : threads) t.join();
  threads.clear();
}

HttpServer::HttpServer(ServerOptions options, Router router, WsHandlers ws)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), std::move(ws))) {}

HttpServer::~HttpServer() = default;

Result<void> HttpServer::start() {
  return impl_->start();
}
void HttpServer::stop() {
  impl_->stop();
}
std::uint16_t HttpServer::port() const noexcept {
  return impl_->port.load(std::memory_order_acquire);
}
const ServerMetrics& HttpServer::metrics() const noexcept {
  return impl_->core.metrics;
}

std::string HttpServer::metrics_text() const {
  std::string out;
  impl_->core.metrics.render_prometheus(out);
  return out;
}

std::size_t HttpServer::ws_broadcast(std::string text) {
  return impl_->core.all_ws.broadcast(std::move(text));
}

std::size_t HttpServer::ws_session_count() const {
  return impl_->core.all_ws.size();
}

std::shared_ptr<HttpClient> HttpServer::client(ClientOptions options) {
  if (!impl_->client) {
    std::vector<asio::io_context*> iocs;
    for (const auto& ioc : impl_->io()) iocs.push_back(ioc.get());
    impl_->client = std::make_shared<HttpClient>(std::move(options), std::move(iocs));
  }
  return impl_->client;
}

}  // namespace cx::net
