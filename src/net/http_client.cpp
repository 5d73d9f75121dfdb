#include "net/http_client.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "net/client_exchange.hpp"
#include "net/io_thread.hpp"

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
  // Declared first, destroyed last: exchanges destroyed with the io_contexts still use it.
  std::shared_ptr<ClientCore> core;
  /// Unless the client runs on someone else's: one, run by ClientOptions::threads threads.
  std::vector<std::unique_ptr<asio::io_context>> own_iocs;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  /// Reset by shutdown(): it must not outlive an io_context that is not ours.
  std::optional<asio::steady_timer> sweep_timer;
  std::vector<std::thread> threads;

  std::mutex state_mutex;
  std::condition_variable state_cv;
  bool sweep_pending = false;  ///< a wait of sweep_timer is outstanding (its handler holds this)
  bool shut = false;

  /// An own io_context and threads (one pool shared by all of them).
  explicit Impl(ClientOptions options) {
    const unsigned n = std::max(1u, options.threads);
    own_iocs.push_back(std::make_unique<asio::io_context>(static_cast<int>(n)));
    work.push_back(asio::make_work_guard(*own_iocs.back()));
    init(std::move(options), {own_iocs.back().get()});
    threads.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
      threads.emplace_back([ioc = own_iocs.front().get()] {
        this_thread_io() = ioc;
        for (;;) {
          try {
            ioc->run();
            return;
          } catch (...) {  // a handler threw: keep the thread serving
          }
        }
      });
    }
  }

  /// Someone else's io_contexts (and threads).
  Impl(ClientOptions options, const std::vector<asio::io_context*>& iocs) {
    if (iocs.empty() || std::find(iocs.begin(), iocs.end(), nullptr) != iocs.end()) {
      throw std::invalid_argument("HttpClient: no io_context given");
    }
    init(std::move(options), iocs);
  }

  void init(ClientOptions options, const std::vector<asio::io_context*>& iocs) {
    core = std::make_shared<ClientCore>(std::move(options), iocs);
    sweep_timer.emplace(asio::make_strand(*iocs.front()));
    schedule_sweep();
  }

  ~Impl() {
    shutdown();
    work.clear();
    for (auto& ioc : own_iocs) ioc->stop();
    for (auto& t : threads) t.join();
    // Our io_context is destroyed next, with any handler never run (and its exchange).
  }

  void shutdown() {
    {
      const std::lock_guard lock(state_mutex);
      if (shut) return;
      shut = true;
    }
    for (const auto& exchange : core->begin_shutdown()) {
      exchange->abort(ClientErrc::Shutdown, "the client is shutting down");
    }
    asio::post(sweep_timer->get_executor(), [this] { sweep_timer->cancel(); });
    (void)core->wait_idle(kShutdownWait);
    for (auto& slot : core->slots) slot.pool->close_all();
    {
      std::unique_lock lock(state_mutex);
      // The sweep handler runs (and returns) once cancelled, unless the threads are not running.
      (void)state_cv.wait_for(lock, kShutdownWait, [this] { return !sweep_pending; });
    }
    {
      const std::lock_guard lock(core->liveness->mutex);
      core->liveness->alive = false;
    }
    if (own_iocs.empty()) sweep_timer.reset();
  }

  void schedule_sweep() {
    const auto period = std::clamp<std::chrono::milliseconds>(core->options.idle_timeout / 2,
                                                              std::chrono::milliseconds(10),
                                                              std::chrono::milliseconds(1'000));
    {
      const std::lock_guard lock(state_mutex);
      sweep_pending = true;
    }
    sweep_timer->expires_after(period);
    sweep_timer->async_wait([this](beast::error_code ec) {
      if (ec || core->stopping.load(std::memory_order_acquire)) {
        const std::lock_guard lock(state_mutex);
        sweep_pending = false;
        state_cv.notify_all();
        return;
      }
      for (auto& slot : core->slots) slot.pool->sweep();
      schedule_sweep();
    });
  }

  /// Makes, registers and starts an exchange; or, once shutdown has begun, completes the
  /// request at once, on the caller's thread, with Shutdown. The exchange is made under the
  /// liveness lock: its strand and timer need an io_context that is still there.
  template <class Completion>
  std::shared_ptr<ClientExchange> launch(ClientRequest&& req, Completion&& completion) {
    PreparedRequest prepared = prepare_request(std::move(req));
    std::shared_ptr<ClientExchange> exchange;
    std::function<void()> refusal;
    {
      const std::shared_lock lock(core->liveness->mutex);
      if (!core->liveness->alive || core->stopping.load(std::memory_order_acquire)) {
        refusal = [c = std::move(completion)]() mutable { refuse(c); };
      } else {
        exchange = std::make_shared<ClientExchange>(core, std::move(prepared),
                                                    std::forward<Completion>(completion));
        if (!core->add(exchange->id(), exchange)) {  // shutdown began meanwhile
          refusal = exchange->take_refusal();
          exchange.reset();  // never started; destroyed while the io_context is there
        }
      }
    }
    // Outside the lock: on a thread of the io_context the exchange starts (and may complete)
    // right here. Registered, it keeps the io_context alive: shutdown waits for it.
    if (exchange) {
      exchange->start();
    } else {
      refusal();
    }
    return exchange;
  }

  static void refuse(std::function<void(ClientResult)>& done) {
    ClientResult r;
    r.error = ClientError{ClientErrc::Shutdown, true, false, "the client is shutting down"};
    try {
      if (done) done(std::move(r));
    } catch (...) {
    }
  }
  static void refuse(StreamCallbacks& callbacks) {
    const ClientError e{ClientErrc::Shutdown, true, false, "the client is shutting down"};
    try {
      if (callbacks.on_done) callbacks.on_done(e);
    } catch (...) {
    }
  }
};

HttpClient::HttpClient(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::HttpClient(ClientOptions options, std::vector<boost::asio::io_context*> iocs)
    : impl_(std::make_unique<Impl>(std::move(options), iocs)) {}

void HttpClient::shutdown() {
  impl_->shutdown();
}

HttpClient::~HttpClient() = default;

void HttpClient::request(ClientRequest req, std::function<void(ClientResult)> done) {
  (void)impl_->launch(std::move(req), std::move(done));
}

std::shared_ptr<ClientStream> HttpClient::stream(ClientRequest req, StreamCallbacks callbacks) {
  // Null when refused: the handle's cancel() then does nothing.
  auto exchange = impl_->launch(std::move(req), std::move(callbacks));
  return std::make_shared<ClientStream>(exchange, impl_->core->liveness);
}

std::size_t HttpClient::idle_connections() const {
  return impl_->core->idle_count();
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
