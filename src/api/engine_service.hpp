#pragma once
/// The engine thread: the single writer of the exchange. Requests from any thread wait in a
/// bounded queue; the engine thread takes a batch of them, gives each command a sequence number
/// and the time (never earlier than the last), journals and applies it, makes the whole batch
/// durable with one fdatasync (group commit), and only then answers the requests, feeds the
/// listeners (WebSocket hub, market data) and hands the captured commands to the projector
/// thread, which writes them to the read store.
///
/// Reads of live state (balances, positions, open orders, depth) run on the engine thread too
/// (`query`), between batches, so they always see a committed state.
///
/// Threading: open(), add_listener() and start() from one control thread before traffic;
/// submit*/query/stats from any thread; stop() from the control thread.

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "api/json_codec.hpp"
#include "core/error.hpp"
#include "engine/command.hpp"
#include "engine/event.hpp"
#include "engine/exchange.hpp"
#include "journal/durable_exchange.hpp"
#include "store/capture.hpp"

namespace cx::api {

struct EngineOptions {
  std::filesystem::path data_dir;   ///< journal/, snapshots/ and read.db live here
  journal::DurableOptions durable;  ///< journal, snapshot and exchange settings
  std::size_t max_batch = 4096;     ///< commands per group commit at most
  std::size_t max_queue = 200'000;  ///< requests waiting; beyond it submit() refuses
  /// A clock tick is sequenced when no command has been for this long (GTT expiry needs time to
  /// pass even when nobody trades). 0: never.
  std::chrono::milliseconds tick_interval{1000};
  /// How often an idle engine wakes to call the listeners' on_idle (flushes of gathered feeds).
  std::chrono::milliseconds idle_poll{5};
  std::size_t projector_batch = 2000;  ///< commands per read-store transaction at most
  /// A read-store transaction stays open this long to gather more commands (fewer SQLite page
  /// writes and checkpoints under load); a reader waiting in wait_projected() commits it at once.
  std::chrono::milliseconds projector_commit_interval{20};
  /// Back-pressure: when this many committed commands wait for the projector, the engine waits
  /// for it before handing over more (and the request queue's bound answers 503 meanwhile), so
  /// a read store that cannot keep up never makes memory grow without bound.
  std::size_t projector_max_lag = 100'000;
  /// Test hook: runs on the projector thread each time it takes the inbox (a slow read store).
  std::function<void()> before_projecting;
  /// Test hook: the time source in milliseconds since the epoch (default: system clock).
  std::function<Timestamp()> clock;
};

/// What a command came to, delivered once it is durable (or refused before it was applied).
struct CommandResult {
  SeqNo seq = 0;                        ///< 0 when nothing was applied
  std::optional<Error> error;           ///< set: refused before it was applied (bad JSON, stopping)
  std::optional<OrderId> duplicate_of;  ///< set by a guard: the order a resubmission names
  std::string note;                     ///< a guard's extra answer (JSON text)
  boost::json::array events;            ///< the command's events (json_codec's shapes)
  std::vector<engine::ExEvent> raw;     ///< the same events, as the engine emitted them
};

/// One committed command, as the listeners see it (engine thread, after the group commit).
struct Committed {
  SeqNo seq = 0;
  Timestamp ts = 0;
  std::span<const engine::ExEvent> raw;
  const boost::json::array* events = nullptr;
};

/// Consumes committed commands on the engine thread. Must not block: hand slow work to another
/// thread. The exchange passed to on_batch_end is the state after the batch.
class EngineListener {
 public:
  virtual ~EngineListener() = default;
  virtual void on_command(const Committed& c, const engine::Exchange& x) = 0;
  virtual void on_batch_end(const engine::Exchange& x) = 0;
  /// The engine woke with nothing to do (about every EngineOptions::idle_poll).
  virtual void on_idle(const engine::Exchange&) {}
};

struct EngineStats {
  std::uint64_t commands = 0;
  std::uint64_t batches = 0;
  std::uint64_t refused = 0;  ///< queue full or stopping
  std::uint64_t fsync_count = 0;
  std::uint64_t fsync_us_total = 0;
  std::uint64_t fsync_us_max = 0;
  std::uint64_t orders_placed = 0;  ///< accepted placements
  std::uint64_t fills = 0;
  SeqNo durable_seq = 0;
  SeqNo projected_seq = 0;
  std::uint64_t projector_waits = 0;      ///< times the engine waited for the projector
  std::uint64_t projector_inbox_max = 0;  ///< most commands ever waiting for the projector
};

class EngineService {
 public:
  /// Called on the engine thread once the command is durable; the exchange is the state after
  /// its batch (for names and scales).
  using Done = std::function<void(CommandResult&, const engine::Exchange&)>;
  /// Runs on the engine thread right before a JSON command is decoded; a result it returns is
  /// the answer instead, and nothing is applied (idempotent resubmission).
  using Guard = std::function<std::optional<CommandResult>(const engine::Exchange&)>;
  using Query = std::function<void(const engine::Exchange&)>;

  /// Opens the data directory (recovering the exchange), opens the read store
  /// (`<data_dir>/read.db`) and brings it level with the journal. Fails on a damaged journal
  /// or store.
  [[nodiscard]] static Result<std::unique_ptr<EngineService>> open(EngineOptions options);
  ~EngineService();
  EngineService(const EngineService&) = delete;
  EngineService& operator=(const EngineService&) = delete;

  /// Before start(): the listener is called for every committed command. Not owned.
  void add_listener(EngineListener* listener);
  /// Before start(): called on the engine thread right after each command is applied (before
  /// it is durable), with its events; for bookkeeping that must see commands one by one.
  using ApplyHook =
      std::function<void(SeqNo, std::span<const engine::ExEvent>, const engine::Exchange&)>;
  void set_apply_hook(ApplyHook hook) { apply_hook_ = std::move(hook); }
  /// Starts the engine and projector threads.
  void start();
  /// Refuses new requests, applies and answers those queued, flushes the projector, writes a
  /// snapshot and joins the threads. Idempotent.
  void stop();

  /// Queues a JSON command (docs/replay.md shapes), decoded on the engine thread. False (and
  /// `done` not called) when the queue is full or the service is stopping.
  bool submit_json(std::string json, Done done, Guard guard = {});
  /// The same for a command already parsed (no text round trip).
  bool submit_json(boost::json::object command, Done done, Guard guard = {});
  /// Queues a command body.
  bool submit(engine::CommandBody body, Done done);
  /// Runs `fn` on the engine thread after the current batch is durable. False when refused.
  bool query(Query fn);

  /// Waits until the read store holds every command up to `seq`; false on timeout.
  bool wait_projected(SeqNo seq, std::chrono::milliseconds timeout) const;
  SeqNo durable_seq() const noexcept { return durable_seq_.load(std::memory_order_acquire); }
  SeqNo projected_seq() const noexcept { return projected_seq_.load(std::memory_order_acquire); }
  bool running() const noexcept { return running_.load(std::memory_order_acquire); }
  EngineStats stats() const;
  /// The exchange: only before start() (set-up) or on the engine thread (queries, listeners).
  const engine::Exchange& exchange_unsynchronized() const noexcept { return durable_->exchange(); }
  /// Recovery figures of the journal at open().
  const journal::RecoveryInfo& recovery() const noexcept;
  std::filesystem::path read_store_path() const { return options_.data_dir / "read.db"; }

 private:
  /// One request: a JSON command, a command body, or a query (a plain struct: g++ 12 warns
  /// falsely about moves of a variant of these).
  struct Item {
    enum class Kind : std::uint8_t { Json, Object, Body, Query } kind = Kind::Json;
    std::string json;
    boost::json::object object;
    Guard guard;
    std::optional<engine::CommandBody> body;
    Query query;
    Done done;
  };
  struct Applied;
  struct ProjectorState;

  explicit EngineService(EngineOptions options);
  bool push(Item item);
  bool push_command(Item item, Done done, Guard guard);  ///< a JSON command (text or object)
  void engine_loop();
  void projector_loop();
  void run_batch(std::vector<Item>& batch, std::vector<Applied>& applied);
  void apply_one(engine::Command cmd, const CommandContext& ctx, Applied& a);
  Timestamp next_ts();

  EngineOptions options_;
  std::unique_ptr<journal::DurableExchange> durable_;
  std::vector<EngineListener*> listeners_;
  ApplyHook apply_hook_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Item> queue_;
  bool stopping_ = false;
  std::atomic<bool> running_{false};

  std::thread engine_thread_;
  std::thread projector_thread_;
  std::unique_ptr<ProjectorState> proj_;

  Timestamp last_ts_ = 0;
  engine::ExEventBuffer scratch_;
  std::vector<store::CommandRecord> pending_records_;  ///< captured, waiting for the commit
  std::vector<store::CommandRecord> spare_records_;    ///< for reuse (their capacity)
  std::uint64_t batch_fills_ = 0;
  std::uint64_t batch_orders_ = 0;
  std::atomic<SeqNo> durable_seq_{0};
  std::atomic<SeqNo> projected_seq_{0};
  mutable std::atomic<int> projection_waiters_{0};  ///< callers in wait_projected()
  mutable std::mutex stats_mutex_;
  EngineStats stats_;
};

}  // namespace cx::api
