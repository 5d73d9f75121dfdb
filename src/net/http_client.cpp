#include "net/http_client.hpp"

#include <algorithm>
#include <thread>

#include "net/client_exchange.hpp"

namespace cx::net {

using namespace detail;

namespace {

/// How long ~HttpClient waits for outstanding exchanges to deliver Shutdown.
constexpr std::chrono::milliseconds kShutdownWait{2'000};

}  // namespace

std::string_view to_string(ClientErrc e) noexcept {
  switch (e) {
    case ClientErrc::Ok:
      return "ok";
    case ClientErrc::InvalidRequest:
      return "invalid_request";
    case ClientErrc::Resolve:
      return "resolve";
    case ClientErrc::Connect:
      return "connect";
    case ClientErrc::Timeout:
      return "timeout";
    case ClientErrc::Io:
      return "io";
    case ClientErrc::Protocol:
      return "protocol";
    case ClientErrc::TooLarge:
      return "too_large";
    case ClientErrc::Cancelled:
      return "cancelled";
    case ClientErrc::Shutdown:
      return "shutdown";
  }
  return "unknown";
}

std::optional<std::string_view> ClientResult::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

// --- ClientStream ---------------------------------------------------------------------------

ClientStream::ClientStream(std::weak_ptr<ClientExchange> exchange,
                           std::shared_ptr<ClientLiveness> liveness)
    : exchange_(std::move(exchange)), liveness_(std::move(liveness)) {}

ClientStream::~ClientStream() = default;

void ClientStream::cancel() {
  // Under the shared lock the io_context exists, so the exchange may be posted to (and, if this
  // is its last reference, destroyed) here.
  const std::shared_lock lock(liveness_->mutex);
  if (!liveness_->alive) return;
  if (auto exchange = exchange_.lock()) exchange->cancel();
}

// --- HttpClient -----------------------------------------------------------------------------

struct HttpClient::Impl {
  // Declared first, destroyed last: exchanges destroyed with the io_context still use it.
  std::shared_ptr<ClientCore> core;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  asio::steady_timer sweep_timer;
  std::vector<std::thread> threads;

  explicit Impl(ClientOptions options)
      : ioc(static_cast<int>(std::max(1u, options.threads))), sweep_timer(asio::make_strand(ioc)) {
    const unsigned n = std::max(1u, options.threads);
    core = std::make_shared<ClientCore>(std::move(options), ioc);
    work.emplace(ioc.get_executor());
    schedule_sweep();
    threads.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      threads.emplace_back([this] {
        for (;;) {
          try {
            ioc.run();
            return;
          } catch (...) {  // a handler threw: keep the thread serving
          }
        }
      });
    }
  }

  ~Impl() {
    for (const auto& exchange : core->begin_shutdown()) {
      exchange->abort(ClientErrc::Shutdown, "the client is shutting down");
    }
    asio::post(sweep_timer.get_executor(), [this] { sweep_timer.cancel(); });
    (void)core->wait_idle(kShutdownWait);
    core->pool.close_all();
    {
      const std::lock_guard lock(core->liveness->mutex);
      core->liveness->alive = false;
    }
    work.reset();
    ioc.stop();
    for (auto& t : threads) t.join();
    // The io_context is destroyed next, with any handler never run (and its exchange).
  }

  void schedule_sweep() {
    const auto period = std::clamp<std::chrono::milliseconds>(core->options.idle_timeout / 2,
                                                              std::chrono::milliseconds(10),
                                                              std::chrono::milliseconds(1'000));
    sweep_timer.expires_after(period);
    sweep_timer.async_wait([this](beast::error_code ec) {
      if (ec || core->stopping.load(std::memory_order_acquire)) return;
      core->pool.sweep();
      schedule_sweep();
    });
  }

  /// Registers and starts `exchange`, or completes it at once with Shutdown.
  void launch(const std::shared_ptr<ClientExchange>& exchange) {
    {
      const std::shared_lock lock(core->liveness->mutex);
      if (core->liveness->alive && core->add(exchange->id(), exchange)) {
        exchange->start();
        return;
      }
    }
    exchange->refuse();
  }
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

void HttpClient::request(ClientRequest req, std::function<void(ClientResult)> done) {
  impl_->launch(std::make_shared<ClientExchange>(impl_->core, prepare_request(std::move(req)),
                                                 std::move(done)));
}

std::shared_ptr<ClientStream> HttpClient::stream(ClientRequest req, StreamCallbacks callbacks) {
  auto exchange = std::make_shared<ClientExchange>(impl_->core, prepare_request(std::move(req)),
                                                   std::move(callbacks));
  auto handle = std::make_shared<ClientStream>(exchange, impl_->core->liveness);
  impl_->launch(exchange);
  return handle;
}

std::size_t HttpClient::idle_connections() const {
  return impl_->core->pool.idle_count();
}

ClientStats HttpClient::stats() const noexcept {
  const ClientCore& c = *impl_->core;
  ClientStats s;
  s.requests = c.requests.load(std::memory_order_relaxed);
  s.connections_opened = c.connections_opened.load(std::memory_order_relaxed);
  s.connections_reused = c.connections_reused.load(std::memory_order_relaxed);
  s.retries = c.retries.load(std::memory_order_relaxed);
  return s;
}

}  // namespace cx::net
