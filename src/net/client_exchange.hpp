#pragma once
/// Internal: one HttpClient exchange (connect or reuse, write, read and parse the response) and
/// the state the client shares with its exchanges. Includes Beast/Asio.
///
/// Everything an exchange does runs on its own strand; only start(), cancel() and abort() are
/// called from other threads (they post). The exchange is kept alive by its pending operations
/// (and briefly by whoever posts to it); ClientStream handles hold it weakly.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/client_pool.hpp"
#include "net/http_client.hpp"

namespace cx::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/// Lets ClientStream handles, which may outlive the client, know whether posting to its
/// io_context is still allowed (as the server's Liveness does for Reply).
struct ClientLiveness {
  std::shared_mutex mutex;
  bool alive = true;
};

class ClientExchange;

/// Shared by HttpClient and its exchanges.
struct ClientCore {
  ClientCore(ClientOptions o, const std::vector<asio::io_context*>& iocs);

  /// An io_context (run by one thread) and the idle connections made on it: an exchange and
  /// its connection always belong to the same one, so their I/O completes on one thread.
  struct Slot {
    asio::io_context* ioc;
    std::unique_ptr<ClientPool> pool;
  };

  const ClientOptions options;
  std::vector<Slot> slots;
  /// The calling thread's slot when it runs one of ours, else the next in turn.
  Slot& pick_slot() noexcept;
  std::size_t idle_count() const;
  const std::shared_ptr<ClientLiveness> liveness = std::make_shared<ClientLiveness>();
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> requests{0}, connections_opened{0}, connections_reused{0}, retries{0};

  /// Registers a new exchange; false once shutdown has begun.
  bool add(std::uint64_t id, std::weak_ptr<ClientExchange> exchange);
  /// The exchange has delivered its result (or is gone). Idempotent.
  void remove(std::uint64_t id);
  std::uint64_t next_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  /// Refuses new exchanges and returns those still running.
  std::vector<std::shared_ptr<ClientExchange>> begin_shutdown();
  /// Waits until every registered exchange has completed; false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::unordered_map<std::uint64_t, std::weak_ptr<ClientExchange>> live_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::size_t> next_slot_{0};
};

/// A request checked and serialized on the caller's thread.
struct PreparedRequest {
  ClientError invalid;  ///< code != Ok: fail at start, nothing sent
  std::string key;      ///< pool key, "host:port" ("[v6]:port")
  std::string host;     ///< to resolve or parse as an address (no brackets)
  std::uint16_t port = 80;
  std::string head;  ///< request line and headers, up to the blank line
  std::string body;
  bool close = false;        ///< "Connection: close" asked: the connection is single-use
  bool head_method = false;  ///< the response has no body
  std::chrono::milliseconds timeout{};
  std::chrono::milliseconds stream_idle_timeout{};
};

PreparedRequest prepare_request(ClientRequest&& r);

/// The parser's body: hands decoded body bytes to the exchange instead of storing them.
struct ExchangeBody {
  struct value_type {
    ClientExchange* exchange = nullptr;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec);
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        if (!deliver(static_cast<const char*>(b.data()), b.size(), ec)) return n;
        n += b.size();
      }
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    bool deliver(const char* data, std::size_t size, beast::error_code& ec);
    value_type& body_;
  };
};

class ClientExchange final : public std::enable_shared_from_this<ClientExchange> {
 public:
  /// request(): the whole response goes to `done`.
  ClientExchange(std::shared_ptr<ClientCore> core, PreparedRequest req,
                 std::function<void(ClientResult)> done);
  /// stream(): the response goes to `callbacks` as it arrives.
  ClientExchange(std::shared_ptr<ClientCore> core, PreparedRequest req, StreamCallbacks callbacks);
  ~ClientExchange();
  ClientExchange(const ClientExchange&) = delete;
  ClientExchange& operator=(const ClientExchange&) = delete;

  std::uint64_t id() const noexcept { return id_; }

  /// Any thread: starts the exchange on its strand, at once when the caller runs the
  /// io_context (then it may even complete before start() returns), else by a post.
  void start();
  /// Any thread: ends the exchange with `code` unless it has completed. cancel() counts once.
  void cancel();
  void abort(ClientErrc code, std::string message);
  /// For an exchange that will never start (the client is shutting down): takes its
  /// completion out, as a function that reports Shutdown and touches nothing of the exchange.
  std::function<void()> take_refusal();

  // From ExchangeBody, inside parser_->put() on the strand.
  bool body_init(std::optional<std::uint64_t> length);
  bool body_data(std::string_view data);

 private:
  enum class Phase : std::uint8_t { Idle, Connecting, Sending, Awaiting, Body, Done };

  void run();
  void connect_fresh();
  void on_resolved(beast::error_code ec, const tcp::resolver::results_type& results);
  void on_connected(beast::error_code ec);
  void send();
  void on_sent(beast::error_code ec, std::size_t n);
  void new_parser();
  void read_more();
  void on_read(beast::error_code ec, std::size_t n);
  void parse();
  /// The head of a response is parsed. False when the exchange ended in a callback.
  bool on_header();
  void on_read_error(beast::error_code ec);
  bool can_retry() const noexcept;
  void retry();

  Clock::time_point current_deadline() const noexcept;
  void arm_timer();
  void on_timer(beast::error_code ec, std::uint64_t seq);

  void complete();
  void fail(ClientErrc code, std::string message);
  /// Ends the I/O: the connection goes back to the pool when `reuse`, else it is closed.
  void release(bool reuse);
  void deliver(ClientResult result);

  const std::shared_ptr<ClientCore> core_;
  const std::uint64_t id_;
  ClientCore::Slot& slot_;  ///< the io_context and pool the exchange works on
  PreparedRequest req_;
  const bool streaming_;
  std::function<void(ClientResult)> done_;
  StreamCallbacks callbacks_;

  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  std::optional<tcp::resolver> resolver_;
  std::unique_ptr<ClientConn> conn_;
  std::optional<http::response_parser<ExchangeBody>> parser_;
  std::string body_;  ///< request(): the body so far
  unsigned status_ = 0;

  Clock::time_point deadline_{};          ///< request.timeout from the start
  Clock::time_point connect_deadline_{};  ///< connect_timeout from this attempt's start
  Clock::time_point last_activity_{};     ///< streaming body: last bytes received
  std::uint64_t timer_seq_ = 0;

  Phase phase_ = Phase::Idle;
  ClientErrc body_abort_ = ClientErrc::Ok;  ///< set inside put(): why parsing stopped
  std::string body_abort_message_;
  bool reused_ = false;            ///< this attempt uses a pooled connection
  bool retried_ = false;           ///< the one retry is spent
  bool request_sent_ = false;      ///< some byte of the request was written
  bool response_started_ = false;  ///< some byte of the response arrived
  bool head_reported_ = false;     ///< the final (non-1xx) head has been parsed
  std::atomic<bool> cancel_requested_{false};
};

}  // namespace cx::net::detail
