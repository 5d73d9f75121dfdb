#pragma once
/// The projector: turns the exchange's events into the read model (orders, trades, fills,
/// klines, PAPER points, price history, traders, markets), exactly once.
///
/// Exactly-once rule: every command's writes and the new `last_seq` are committed in one
/// transaction. A command whose seq is <= last_seq is skipped; the next one must be
/// last_seq + 1 (a gap is an error). So after a crash or restart, feeding the command stream
/// again from anywhere at or before last_seq + 1 neither misses nor repeats anything.
///
/// Use (one thread for the whole Projector; the sink belongs to that thread):
///     auto p = Projector::open(store);              // resumes from the store's last_seq
///     for each command:  p->apply_batch(seq, ts, events, exchange, &command);
///     every N commands (or when the journal commits):  p->commit();
/// or split across threads: capture() on the engine thread right after each command, and
/// apply(record) + commit() on the projector's thread.
///
/// On any error the transaction is rolled back and the projector returns to committed_seq():
/// feed again from committed_seq() + 1.

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "engine/command.hpp"
#include "engine/event.hpp"
#include "engine/exchange.hpp"
#include "store/capture.hpp"
#include "store/read_store.hpp"

namespace cx::store {

struct ProjectorStats {
  std::uint64_t commands = 0;  ///< applied (committed or not)
  std::uint64_t skipped = 0;   ///< seq <= last_seq: already projected
  std::uint64_t events = 0;
  std::uint64_t orders = 0;  ///< order rows created (rejected ones included)
  std::uint64_t rejected_orders = 0;
  std::uint64_t trades = 0;
  std::uint64_t income = 0;     ///< income rows (funding, settlement, penalties, insurance)
  std::uint64_t unmatched = 0;  ///< commands whose placements could not all be matched
  std::uint64_t commits = 0;
};

class Projector {
 public:
  /// Reads where `sink`'s projection stands. `sink` must outlive the projector, and no other
  /// projector may write to the same store.
  [[nodiscard]] static Result<std::unique_ptr<Projector>> open(ProjectionSink& sink);
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  /// Projects one command: its seq and time, its events, and the exchange as it stands right
  /// after it (for client order ids, names, specs and points). `cmd`, if given, is the command
  /// itself; it adds order terms (type, time in force, flags) and REJECTED orders for refused
  /// placements, which the events alone cannot attribute. Opens a transaction if none is open.
  [[nodiscard]] Result<void> apply_batch(SeqNo seq, Timestamp ts,
                                         std::span<const engine::ExEvent> events,
                                         const engine::Exchange& x,
                                         const engine::Command* cmd = nullptr);
  /// Projects a captured command (see capture.hpp): the same as apply_batch, on any thread.
  [[nodiscard]] Result<void> apply(const CommandRecord& rec);
  /// Commits every command applied since the last commit, with the new last_seq. No-op when
  /// nothing is pending.
  [[nodiscard]] Result<void> commit();
  /// Discards everything applied since the last commit.
  void rollback() noexcept;

  /// Last command applied (committed or pending).
  SeqNo last_seq() const noexcept { return state_.last_seq; }
  /// Last command committed: after a restart, the stream resumes at committed_seq() + 1.
  SeqNo committed_seq() const noexcept { return committed_.last_seq; }
  bool pending() const noexcept { return in_tx_; }
  const ProjectorStats& stats() const noexcept { return stats_; }

 private:
  explicit Projector(ProjectionSink& sink) : sink_(&sink) {}

  Result<void> project(const CommandRecord& rec);
  Result<void> on_fill(const CommandRecord& rec, const engine::ExEvent& e, Timestamp ts);
  Result<void> change(const OrderChange& c);
  Result<void> kline(MarketId market, Price price, Qty qty, Amount notional, Timestamp ts);
  Result<void> flush();

  struct Candle {
    Kline k;
    bool dirty = false;
  };

  ProjectionSink* sink_;
  ProjectionState committed_;
  ProjectionState state_;
  bool in_tx_ = false;
  ProjectorStats stats_;
  CommandRecord scratch_;
  /// Orders created in the open transaction, written at commit (most orders are created and
  /// closed within one batch, so each costs one INSERT).
  std::vector<OrderRecord> new_orders_;
  std::unordered_map<OrderId, std::size_t> new_index_;
  /// The current kline of each (market, interval), kept across commits; dropped on rollback.
  std::unordered_map<std::uint64_t, Candle> candles_;
  /// PAPER points to write at commit: the latest value per trader and UTC day.
  std::vector<PointsEntry> points_;
  std::unordered_map<std::uint64_t, std::size_t> points_index_;
  /// Price history to write at commit: the last price per market and minute.
  std::vector<PricePoint> prices_;
  std::unordered_map<std::uint64_t, std::size_t> prices_index_;
};

}  // namespace cx::store
