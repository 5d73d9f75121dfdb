#pragma once
/// The embedded read store: one SQLite file in WAL mode (docs/read-store.md has the schema).
/// Implements both the ReadStore (API reads, account writes) and the ProjectionSink (the
/// projector's writes).
///
/// Threading: one instance per thread. The usual set-up is one instance on the projector's
/// thread (the only one that calls the ProjectionSink side) and one per API thread; WAL lets
/// them all read while the projector writes, and account writes wait (busy timeout) for the
/// projector's short transactions.

#include <filesystem>
#include <memory>
#include <optional>

#include "store/read_store.hpp"
#include "store/sqlite.hpp"

namespace cx::store {

class SqliteReadStore final : public ReadStore, public ProjectionSink {
 public:
  /// Opens (creating if needed) the store at `path` and brings its schema up to date. Refuses,
  /// with Corrupt, a file whose schema is newer than this build.
  [[nodiscard]] static Result<std::unique_ptr<SqliteReadStore>> open(
      const std::filesystem::path& path, const DbOptions& options = {});

  Db& db() noexcept { return db_; }

  // ---- ReadStore ----
  Result<bool> create_user(const User& user) override;
  Result<std::optional<User>> user(std::string_view id) override;
  Result<std::optional<User>> user_by_email(std::string_view email) override;
  Result<bool> set_roles(std::string_view id, std::span<const std::string> roles) override;

  Result<bool> create_api_key(const ApiKey& key) override;
  Result<std::optional<ApiKey>> api_key_by_hash(std::string_view hash) override;
  Result<std::vector<ApiKey>> api_keys(std::string_view user_id,
                                       std::optional<KeyKind> kind) override;
  Result<bool> revoke_api_key(std::string_view user_id, std::string_view prefix,
                              Timestamp now) override;
  Result<bool> rotate_api_key(std::string_view user_id, std::string_view old_prefix,
                              const ApiKey& replacement, Timestamp now) override;
  Result<bool> touch_api_key(std::string_view hash, Timestamp now) override;

  Result<bool> create_session(const Session& session) override;
  Result<std::optional<Session>> session(std::string_view token_hash) override;
  Result<bool> rotate_session(std::string_view old_hash, const Session& replacement,
                              Timestamp now) override;
  Result<bool> revoke_session(std::string_view token_hash, Timestamp now) override;
  Result<std::int64_t> revoke_sessions_of(std::string_view user_id, Timestamp now) override;
  Result<std::int64_t> purge_sessions(Timestamp now) override;

  Result<SeqNo> projected_seq() override;
  Result<std::optional<TraderId>> trader_id(std::string_view name) override;
  Result<std::optional<std::string>> trader_name(TraderId id) override;
  Result<std::optional<MarketInfo>> market(MarketId id) override;
  Result<std::optional<MarketInfo>> market_by_symbol(Mode mode, std::string_view symbol) override;
  Result<std::vector<MarketInfo>> markets(std::optional<Mode> mode) override;
  Result<std::optional<OrderRecord>> order(OrderId id) override;
  Result<std::optional<OrderRecord>> order_by_client_id(TraderId trader, Mode mode,
                                                        std::string_view cid) override;
  Result<Page<OrderRecord>> orders(const OrderQuery& q) override;
  Result<Page<FillRecord>> fills(const FillQuery& q) override;
  Result<Page<TradeRecord>> recent_trades(MarketId market, std::size_t limit,
                                          std::optional<std::uint64_t> before) override;
  Result<std::vector<Kline>> klines(const KlineQuery& q) override;
  Result<std::vector<PointsEntry>> leaderboard(std::size_t limit, std::size_t offset) override;
  Result<std::vector<PointsEntry>> pnl_leaderboard(std::size_t limit, std::size_t offset) override;
  Result<std::vector<PricePoint>> price_history(const PriceQuery& q) override;
  Result<Page<IncomeRecord>> income(const IncomeQuery& q) override;
  Result<std::optional<PointsEntry>> paper_points(TraderId trader) override;
  Result<std::vector<PointsSnapshot>> points_history(TraderId trader, Timestamp from,
                                                     Timestamp to) override;

  // ---- ProjectionSink ----
  Result<ProjectionState> projection_state() override;
  Result<void> begin_projection() override;
  Result<void> commit_projection(const ProjectionState& state) override;
  void rollback_projection() noexcept override;
  Result<void> put_trader(TraderId id, std::string_view name, SeqNo seq, Timestamp ts) override;
  Result<void> put_market(const MarketInfo& m, SeqNo seq, Timestamp ts) override;
  Result<void> set_market_status(MarketId id, engine::MarketStatus status) override;
  Result<void> insert_order(const OrderRecord& o) override;
  Result<void> update_order(const OrderChange& c) override;
  Result<void> insert_trade(const TradeRecord& t, std::string_view taker_cid,
                            std::string_view maker_cid) override;
  Result<std::optional<Kline>> kline(MarketId market, KlineInterval interval,
                                     Timestamp open_time) override;
  Result<void> put_kline(const Kline& k) override;
  Result<void> put_points(const PointsEntry& p) override;
  Result<void> put_price(const PricePoint& p) override;
  Result<void> put_income(const IncomeRecord& r) override;

 private:
  explicit SqliteReadStore(Db db) : db_(std::move(db)) {}

  Db db_;
  std::optional<Transaction> projection_tx_;
};

}  // namespace cx::store
