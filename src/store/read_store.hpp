#pragma once
/// The read store's two faces, as interfaces so that an SQLite store (embedded) and a
/// PostgreSQL one (cluster) can stand behind the same code:
///  - `ReadStore`: accounts (users, API keys, sessions), written by the API, and the history
///    the projector keeps (orders, trades, klines, PAPER points), read by the API.
///  - `ProjectionSink`: the write side the Projector drives. Only the projector calls it.
///
/// Conflicts are not errors: a create that meets an existing key returns false, a lookup that
/// finds nothing returns an empty optional. Errors are failures of the store itself (Internal
/// class) or malformed arguments (Malformed class: a bad hash, prefix or role name).
///
/// Threading: an instance belongs to one thread at a time; open one per thread.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "engine/reason.hpp"
#include "store/records.hpp"

namespace cx::store {

class ReadStore {
 public:
  virtual ~ReadStore() = default;

  // ---- users ----
  /// Creates the user; false if the id or the email is taken.
  [[nodiscard]] virtual Result<bool> create_user(const User& user) = 0;
  [[nodiscard]] virtual Result<std::optional<User>> user(std::string_view id) = 0;
  [[nodiscard]] virtual Result<std::optional<User>> user_by_email(std::string_view email) = 0;
  /// Replaces the user's roles; false if there is no such user.
  [[nodiscard]] virtual Result<bool> set_roles(std::string_view id,
                                               std::span<const std::string> roles) = 0;

  // ---- API keys ----
  /// Stores a new key; false if its prefix or hash is taken. The user must exist.
  [[nodiscard]] virtual Result<bool> create_api_key(const ApiKey& key) = 0;
  /// The key with this hash, revoked or not (the caller checks active()).
  [[nodiscard]] virtual Result<std::optional<ApiKey>> api_key_by_hash(std::string_view hash) = 0;
  /// The user's keys, oldest first, revoked ones included; of one kind if given.
  [[nodiscard]] virtual Result<std::vector<ApiKey>> api_keys(std::string_view user_id,
                                                             std::optional<KeyKind> kind) = 0;
  /// Revokes the user's active key with this prefix; false if there is none.
  [[nodiscard]] virtual Result<bool> revoke_api_key(std::string_view user_id,
                                                    std::string_view prefix, Timestamp now) = 0;
  /// Atomically revokes the user's active key `old_prefix` and stores `replacement` (same
  /// user); false, changing nothing, if the old key is not active or the new one clashes.
  [[nodiscard]] virtual Result<bool> rotate_api_key(std::string_view user_id,
                                                    std::string_view old_prefix,
                                                    const ApiKey& replacement, Timestamp now) = 0;
  /// Records a use of the key (for listings); false if there is no such key.
  [[nodiscard]] virtual Result<bool> touch_api_key(std::string_view hash, Timestamp now) = 0;

  // ---- sessions (refresh tokens) ----
  /// Stores a new session; false if the token hash is taken. The user must exist.
  [[nodiscard]] virtual Result<bool> create_session(const Session& session) = 0;
  [[nodiscard]] virtual Result<std::optional<Session>> session(std::string_view token_hash) = 0;
  /// Refresh-token rotation: atomically revokes `old_hash` and stores `replacement`, only if
  /// the old session is active at `now` and belongs to the same user. False (nothing changed)
  /// otherwise: a reused or expired refresh token, which the caller may treat as theft.
  [[nodiscard]] virtual Result<bool> rotate_session(std::string_view old_hash,
                                                    const Session& replacement, Timestamp now) = 0;
  /// Revokes one session (logout); false if it was not active.
  [[nodiscard]] virtual Result<bool> revoke_session(std::string_view token_hash, Timestamp now) = 0;
  /// Revokes every active session of the user; returns how many.
  [[nodiscard]] virtual Result<std::int64_t> revoke_sessions_of(std::string_view user_id,
                                                                Timestamp now) = 0;
  /// Deletes sessions that expired before `now` or were revoked before it; returns how many.
  [[nodiscard]] virtual Result<std::int64_t> purge_sessions(Timestamp now) = 0;

  // ---- exchange history (written by the projector) ----
  /// The last command the projection has committed (0: none).
  [[nodiscard]] virtual Result<SeqNo> projected_seq() = 0;
  [[nodiscard]] virtual Result<std::optional<TraderId>> trader_id(std::string_view name) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> trader_name(TraderId id) = 0;
  [[nodiscard]] virtual Result<std::optional<MarketInfo>> market(MarketId id) = 0;
  [[nodiscard]] virtual Result<std::optional<MarketInfo>> market_by_symbol(
      Mode mode, std::string_view symbol) = 0;
  [[nodiscard]] virtual Result<std::vector<MarketInfo>> markets(std::optional<Mode> mode) = 0;

  [[nodiscard]] virtual Result<std::optional<OrderRecord>> order(OrderId id) = 0;
  /// The newest order (not a rejected one) the trader placed in `mode` with this client id.
  [[nodiscard]] virtual Result<std::optional<OrderRecord>> order_by_client_id(
      TraderId trader, Mode mode, std::string_view client_order_id) = 0;
  /// The trader's orders in a mode, newest first, filtered; cursor = OrderRecord::hid.
  [[nodiscard]] virtual Result<Page<OrderRecord>> orders(const OrderQuery& q) = 0;
  /// The trader's fills in a mode, newest first; cursor = FillRecord::id.
  [[nodiscard]] virtual Result<Page<FillRecord>> fills(const FillQuery& q) = 0;
  /// A market's trades, newest first; cursor = TradeRecord::id.
  [[nodiscard]] virtual Result<Page<TradeRecord>> recent_trades(
      MarketId market, std::size_t limit, std::optional<std::uint64_t> before) = 0;
  /// Klines in ascending open_time (see KlineQuery). Buckets without trades have no kline.
  [[nodiscard]] virtual Result<std::vector<Kline>> klines(const KlineQuery& q) = 0;

  /// PAPER points, most first (ties: lower trader id first), from position offset + 1.
  [[nodiscard]] virtual Result<std::vector<PointsEntry>> leaderboard(std::size_t limit,
                                                                     std::size_t offset) = 0;
  /// The trader's income (funding, settlement, penalties, insurance), newest first; cursor =
  /// IncomeRecord::id.
  [[nodiscard]] virtual Result<Page<IncomeRecord>> income(const IncomeQuery& q) = 0;
  /// A market's price history (one point per minute with a price), oldest first.
  [[nodiscard]] virtual Result<std::vector<PricePoint>> price_history(const PriceQuery& q) = 0;
  /// PAPER traders by realised PnL (PointsEntry::pnl), highest first (ties: lower trader id
  /// first), from position offset + 1.
  [[nodiscard]] virtual Result<std::vector<PointsEntry>> pnl_leaderboard(std::size_t limit,
                                                                         std::size_t offset) = 0;
  /// One trader's PAPER points with their leaderboard rank.
  [[nodiscard]] virtual Result<std::optional<PointsEntry>> paper_points(TraderId trader) = 0;
  /// End-of-day points snapshots of one trader, days in [from, to), oldest first.
  [[nodiscard]] virtual Result<std::vector<PointsSnapshot>> points_history(TraderId trader,
                                                                           Timestamp from,
                                                                           Timestamp to) = 0;
};

/// Where the projection stands; stored with the data it describes, in the same transaction.
struct ProjectionState {
  SeqNo last_seq = 0;               ///< last command projected
  Timestamp last_ts = 0;            ///< the projection's clock: max of command times so far
  std::uint64_t next_hid = 1;       ///< next order history id
  std::uint64_t next_trade_id = 1;  ///< next trade id
  bool operator==(const ProjectionState&) const = default;
};

/// A change to an order projected earlier (by order id). Unset fields keep their value.
struct OrderChange {
  OrderId order_id = 0;
  Qty filled_add = 0;
  Amount notional_add = 0;
  Amount fee_add = 0;
  std::optional<Price> price;
  std::optional<Qty> qty;
  std::optional<Qty> remaining;
  std::optional<OrderStatus> status;
  std::optional<engine::Reason> reason;
  std::optional<Timestamp> triggered_at;
  SeqNo seq = 0;
  Timestamp ts = 0;
};

/// The projector's writes. Everything between begin_projection() and commit_projection() is
/// one transaction; rollback_projection() discards it.
class ProjectionSink {
 public:
  virtual ~ProjectionSink() = default;

  /// The committed state (defaults for a new store).
  [[nodiscard]] virtual Result<ProjectionState> projection_state() = 0;
  [[nodiscard]] virtual Result<void> begin_projection() = 0;
  /// Records `state` and commits the transaction.
  [[nodiscard]] virtual Result<void> commit_projection(const ProjectionState& state) = 0;
  virtual void rollback_projection() noexcept = 0;

  [[nodiscard]] virtual Result<void> put_trader(TraderId id, std::string_view name, SeqNo seq,
                                                Timestamp ts) = 0;
  [[nodiscard]] virtual Result<void> put_market(const MarketInfo& m, SeqNo seq, Timestamp ts) = 0;
  [[nodiscard]] virtual Result<void> set_market_status(MarketId id,
                                                       engine::MarketStatus status) = 0;
  [[nodiscard]] virtual Result<void> insert_order(const OrderRecord& o) = 0;
  /// Applies `c` to the order with that id; an unknown id changes nothing.
  [[nodiscard]] virtual Result<void> update_order(const OrderChange& c) = 0;
  /// Stores the trade and its two fills (taker and maker).
  [[nodiscard]] virtual Result<void> insert_trade(const TradeRecord& t,
                                                  std::string_view taker_client_order_id,
                                                  std::string_view maker_client_order_id) = 0;
  [[nodiscard]] virtual Result<std::optional<Kline>> kline(MarketId market, KlineInterval interval,
                                                           Timestamp open_time) = 0;
  /// Inserts or replaces the kline of (market, interval, open_time).
  [[nodiscard]] virtual Result<void> put_kline(const Kline& k) = 0;
  /// Sets the trader's current points and the snapshot of the day of `p.ts`.
  [[nodiscard]] virtual Result<void> put_points(const PointsEntry& p) = 0;
  /// Inserts or replaces the price of (market, minute).
  [[nodiscard]] virtual Result<void> put_price(const PricePoint& p) = 0;
  /// Appends an income row (its id is the store's).
  [[nodiscard]] virtual Result<void> put_income(const IncomeRecord& r) = 0;
};

}  // namespace cx::store
