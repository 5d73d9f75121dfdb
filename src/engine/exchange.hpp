#pragma once
/// The exchange: a deterministic state machine over every market, account, balance, order and
/// position of both modes. `apply(command)` is the only mutator; it appends the command's events.
/// No clock, no randomness, no floating point, no hash-ordered iteration.
///
/// Threading: single writer (the engine thread). Queries are for that thread too.
/// Money: every amount is an int64 count of an asset's smallest unit (asset.hpp). Rounding is in
/// the exchange's favour (fees round up). See docs/exchange.md.

#include <array>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_hash_map.hpp"
#include "engine/asset.hpp"
#include "engine/command.hpp"
#include "engine/event.hpp"
#include "engine/order_book.hpp"

namespace cx::engine {

/// The market of an event that concerns no market (e.g. a liquidation not caused by a price).
inline constexpr MarketId kNoMarket = ~MarketId{0};

struct ExchangeConfig {
  Amount paper_grant = 10'000'000'000;  ///< simulated USDC for a new PAPER account (10,000)
  std::int64_t points_per_limit_order = 1;
  std::int64_t points_per_usdc_volume = 1;   ///< per whole USDC traded
  std::int64_t points_per_usdc_profit = 10;  ///< per whole USDC of realised profit
  // Derivatives lifecycle (docs/margin.md).
  Timestamp oracle_max_age_ms = 0;  ///< > 0: an older price blocks new risk on a derivative
  Timestamp settlement_window_ms = 1'800'000;   ///< TWAP window before expiry (30 minutes)
  std::int64_t mark_premium_cap_bps = 50;       ///< |mark - index| <= 0.5% of the index
  std::int64_t mark_ema_shift = 3;              ///< premium EMA weight 1 / 2^shift (1/8)
  std::int64_t funding_interest_ppm = 12;       ///< interest term per funding interval
  std::int64_t funding_clamp_ppm = 5'000;       ///< |rate| <= 0.5% per interval
  std::int64_t liquidation_penalty_bps = 100;   ///< of the closed notional, to the insurance fund
  std::int64_t liquidation_slippage_bps = 500;  ///< liquidation orders trade within 5% of mark
};

struct Balance {
  Amount balance = 0;  ///< everything the trader owns of the asset
  Amount pending = 0;  ///< the part locked by open orders (available = balance - pending)
};

/// Position::indexed bits: the side set of the risk index (perp/future), holder, multi-market.
inline constexpr std::uint32_t kIndexLong = 1, kIndexShort = 2, kIndexSide = 3, kIndexHolder = 4,
                               kIndexMulti = 8;

/// A derivative position. `cost` is the signed quote value paid for the open size (positive for
/// a long), so the average entry is cost / size and realised PnL is exact.
struct Position {
  MarketId market = 0;
  std::uint32_t indexed = 0;  ///< kIndex* bits: where the risk index holds it (saved as bytes)
  Qty size = 0;
  Amount cost = 0;
  Amount realized = 0;
  Amount funding = 0;  ///< funding received (< 0: paid), lifetime
  Price liq_key = 0;   ///< the price in the market's risk index (docs/margin.md, "Index")
};

struct Account {
  std::array<Balance, kAssetCount> assets{};
  std::vector<Position> positions;  ///< sorted by market id
  std::int64_t limit_orders = 0;    ///< PAPER points inputs
  Amount volume = 0;                ///< quote units traded, lifetime
  Amount profit = 0;                ///< realised profit (positive PnL only), quote units
  std::uint64_t liquidated_in = 0;  ///< command count of its last liquidation (not saved)
};

/// Exchange-owned accounts of one mode, per asset. Together with the traders' balances they
/// must always equal deposits - withdrawals (the conservation audit).
struct SystemAccounts {
  std::array<Amount, kAssetCount> fees{};
  std::array<Amount, kAssetCount> insurance{};
  std::array<Amount, kAssetCount> clearing{};  ///< counterpart of realised derivative PnL
  std::array<Amount, kAssetCount> deposits{};
  std::array<Amount, kAssetCount> withdrawals{};
  Amount funding_rounding = 0;  ///< USDC the fund got from funding rounding (payers round up)
};

struct StatWindow {
  Amount volume = 0;  ///< quote units
  std::int64_t trades = 0;
  Amount fees = 0;
};

struct MarketStats {
  StatWindow lifetime;
  std::int64_t day = -1;  ///< day number (ts / 86,400,000) of `today`
  StatWindow today;
  std::array<StatWindow, 24> hours{};  ///< rolling 24h by hour of day
  std::array<std::int64_t, 24> hour_of{};
  Qty open_interest = 0;                    ///< derivatives: total long size
  std::int64_t hour_start = INT64_MIN / 2;  ///< start (ms) of the hour `hour_slot` counts
  std::size_t hour_slot = 0;
  StatWindow rolling_24h(Timestamp now) const;
};

/// Oracle, funding and settlement state of a market (saved as bytes: int64 fields only).
struct MarketRisk {
  Timestamp price_ts = -1;           ///< time of the last PriceUpdate (-1: none yet)
  Amount premium_ema = 0;            ///< smoothed (mid - index), price units
  std::int64_t funding_sum_ppm = 0;  ///< premium samples since the last funding settlement
  std::int64_t funding_samples = 0;
  std::int64_t twap_sum = 0;  ///< sum of index x ms inside the settlement window
  std::int64_t twap_ms = 0;   ///< ms of the window covered by prices
  Price settle_price = 0;     ///< once SETTLED
};

/// When the scheduler's funding commands last took effect on a perpetual (command times; -1:
/// never). The scheduler reads them to send each sample and payment exactly once, across
/// restarts (docs/server.md, "Scheduler"). Saved since state version 3.
struct FundingClock {
  Timestamp sampled_at = -1;  ///< last accepted FundingSample
  Timestamp settled_at = -1;  ///< last accepted FundingSettle
};

/// Positions of one market by liquidation key (rebuilt from positions on load, never saved).
/// A long is at risk when the mark falls below its key, a short when it rises above.
struct RiskIndex {
  std::set<std::pair<Price, TraderId>> longs;
  std::set<std::pair<Price, TraderId>> shorts;
  std::set<TraderId> holders;  ///< every trader with a non-zero position here
  std::set<TraderId> multi;    ///< holders with positions in other markets too (re-keyed on marks)
};

struct Market {
  MarketSpec spec;
  MarketId id = 0;
  MarketStatus status = MarketStatus::Active;
  std::unique_ptr<OrderBook> book;
  Price index = 0;
  Price mark = 0;
  MarketStats stats;
  std::int64_t mult = 1;  ///< notional = price * qty * mult / div, in quote units
  std::int64_t div = 1;
  MarketRisk risk;
  FundingClock funding_clock;
  RiskIndex risk_index;
  /// Traders that may have live reduce-only orders here, sorted: a superset, pruned when a check
  /// finds none (docs/exchange.md, "Reduce-only"). Rebuilt from the book when a snapshot loads.
  std::vector<TraderId> ro_traders;
};

/// A trader's margin in one mode (docs/margin.md).
struct MarginState {
  Amount equity = 0;         ///< USDC balance + perp/future PnL at mark - short options at mark
  Amount maintenance = 0;    ///< maintenance margin of positions
  Amount initial = 0;        ///< initial margin of positions
  bool has_futures = false;  ///< holds a perp or future position
};

struct AuditReport {
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

class Exchange {
 public:
  explicit Exchange(ExchangeConfig config = {});
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// Applies one command and appends its events. A command that fails its checks emits one
  /// Rejected event and changes nothing. Commands with seq != 0 must come in sequence order.
  void apply(const Command& cmd, ExEventBuffer& out);

  // ---- lookups ----
  std::optional<TraderId> trader_id(std::string_view name) const;
  const std::string& trader_name(TraderId id) const { return trader_names_[id]; }
  std::size_t trader_count() const noexcept { return trader_names_.size(); }
  std::optional<MarketId> market_id(Mode mode, std::string_view symbol) const;
  const Market& market(MarketId id) const { return *markets_[id]; }
  std::size_t market_count() const noexcept { return markets_.size(); }
  const Account& account(Mode mode, TraderId trader) const;
  const SystemAccounts& system(Mode mode) const { return system_[index(mode)]; }
  /// Client order id text of an event's cid_ref; valid until the next apply().
  std::string_view client_order_id(std::uint32_t ref) const;
  /// Client order id text of a live order ("" if none).
  std::string_view client_order_id_of(OrderId id) const;
  std::int64_t points(Mode mode, TraderId trader) const;
  /// Equity and margins of a trader's account in `mode` at the current marks.
  MarginState margin(Mode mode, TraderId trader) const;
  /// The insurance fund of `mode` in USDC units (may only go negative as a visible shortfall).
  Amount insurance_fund(Mode mode) const { return system_[index(mode)].insurance[kUSDC]; }
  /// The market of a live order, if the order is live.
  std::optional<MarketId> market_of(OrderId id) const;
  /// True when the derivative market's price is too old for new risk (STALE_ORACLE_PRICE): with
  /// oracle_max_age_ms > 0, no price yet or one older than that at the last command's time.
  bool stale(const Market& m) const noexcept;
  SeqNo last_seq() const noexcept { return last_seq_; }
  Timestamp now() const noexcept { return now_; }
  const ExchangeConfig& config() const noexcept { return config_; }

  /// Visits every live order: resting orders by market id then book priority (bids, then asks),
  /// then orders waiting for a trigger in slot order.
  template <class F>
  void for_each_open_order(F&& f) const {
    for (const auto& m : markets_) {
      m->book->for_each_resting(Side::Buy, [&](const Order& o) { f(*m, o); });
      m->book->for_each_resting(Side::Sell, [&](const Order& o) { f(*m, o); });
    }
    for (std::uint32_t s = 0; s < pool_.high_water(); ++s) {
      const Order& o = pool_[s];
      if (o.pending_trigger()) f(*markets_[o.market], o);
    }
  }

  /// Quote value of `qty` at `price` in `market` (exact; checked at market creation).
  static std::optional<Amount> notional(const Market& m, Price price, Qty qty) noexcept;
  /// A position's unrealised PnL at its market's mark (docs/margin.md): perps and futures
  /// signed value - cost, a short option minus its value (the premium is in cash), else 0.
  static Amount upnl_at_mark(const Market& m, const Position& p) noexcept;

  /// The conservation audit: per mode and asset, traders' balances + fees + insurance +
  /// clearing == deposits - withdrawals; every pending equals the locks of its live orders;
  /// no pending is negative or above its balance; no balance is negative.
  AuditReport audit() const;

  void reserve(std::uint32_t orders, std::uint32_t traders);

 private:
  friend struct StateIo;
  struct OrderMeta {
    OrderId id = 0;           ///< the live order this entry belongs to (0: none)
    Amount locked = 0;        ///< what the order still locks
    Amount lock_per_lot = 0;  ///< lock for one lot of remaining quantity
    std::uint64_t cid_hash = 0;
    AssetId lock_asset = kUSDC;
    Mode mode = Mode::Paper;
    std::string cid;
  };
  struct CidKey {
    std::uint32_t trader_mode;  ///< trader << 1 | mode
    std::uint64_t hash;
    bool operator==(const CidKey&) const = default;
  };
  struct CidHash {
    std::size_t operator()(const CidKey& k) const noexcept {
      return static_cast<std::size_t>(mix64(k.hash ^ (std::uint64_t{k.trader_mode} << 40)));
    }
  };
  struct Due {
    Timestamp at;
    MarketId market;
    std::uint32_t reserved = 0;  ///< explicit padding (snapshots copy bytes)
  };
  /// Heap order for due_: the earliest time on top, ties by market id.
  static bool due_later(const Due& a, const Due& b) noexcept {
    return a.at != b.at ? a.at > b.at : a.market > b.market;
  }

  static std::size_t index(Mode m) noexcept { return static_cast<std::size_t>(m); }
  Account& acct(Mode mode, TraderId t) { return accounts_[index(mode)][t]; }
  Balance& bal(Mode mode, TraderId t, AssetId a) { return accounts_[index(mode)][t].assets[a]; }

  void dispatch(const Command& cmd, const CommandBody& body, bool in_batch);
  void register_trader(const RegisterTrader& c);
  void create_market(const CreateMarket& c);
  void set_status(const SetMarketStatus& c);
  void deposit(const Deposit& c);
  void withdraw(const Withdraw& c);
  void place(const PlaceOrder& c);
  void amend(const AmendOrder& c);
  void cancel(const CancelOrder& c);
  void cancel_all(const CancelAll& c);
  void price_update(const PriceUpdate& c);
  void expire_due();
  /// Mark = index + clamp(EMA of (mid - index), +-cap% of index); updates the EMA.
  Price derived_mark(Market& m);
  void funding_sample(const FundingSample& c);
  void funding_settle(const FundingSettle& c);
  void settle_market(const SettleMarket& c);

  // ---- risk (risk.cpp, liquidation.cpp) ----
  /// Marks the account for a margin check at the end of the command.
  void touch(Mode mode, TraderId t) {
    touched_.push_back(std::uint64_t{static_cast<std::uint8_t>(mode)} << 32 | t);
  }
  /// Checks every touched account until none is left: realises profit to cover negative cash,
  /// re-keys the risk index, liquidates accounts below maintenance, cancels orders that cash no
  /// longer covers.
  void run_risk(MarketId trigger);
  void check_account(Mode mode, TraderId t, MarketId trigger);
  /// Recomputes the risk-index keys of every position of the account.
  void reindex(Mode mode, TraderId t);
  void rebuild_risk_index();
  /// Queues the accounts a new mark of `m` may have taken below maintenance (from the index).
  void touch_at_risk(const Market& m);
  void liquidate(Mode mode, TraderId t, MarketId trigger);
  /// Closes the rest of t's position in m against ranked opposite positions, each at a price
  /// between the mark and `target` (the bankruptcy price) that costs it at most its equity.
  /// Liquidation of an option position: an IOC order against the book within the slippage
  /// bound; a short is bought back only at a price `room` (cash, other PnL, fund) can pay.
  void close_option(Mode mode, TraderId t, Market& m, Qty size, Amount room);
  /// Closes `size` (a position) against the book down/up to `limit`, locking nothing.
  void close_against_book(Mode mode, TraderId t, Market& m, Qty size, Price limit);
  void deleverage(Mode mode, TraderId t, Market& m, Price mark, Price target);
  /// Covers a negative USDC balance from the insurance fund (and beyond it, a visible shortfall).
  void cover_deficit(Mode mode, TraderId t);
  /// Trims or cancels the reduce-only orders of the positions in ro_dirty_ (docs/exchange.md).
  void trim_reduce_only();
  void rebuild_reduce_only_index();
  void cancel_everything(Mode mode, TraderId t, Reason why);

  void reject(Reason r, TraderId trader = 0, MarketId market = 0, std::string_view cid = {},
              OrderId target = 0);
  std::uint32_t remember_cid(std::string_view cid);
  /// Lock one lot of `o` needs in market `m`; nullopt if the notional overflows.
  std::optional<Amount> lock_per_lot(const Market& m, const NewOrder& o, Price price) const;
  /// Unrealised PnL at mark of the trader's perp and future positions (0 where no mark yet).
  Amount unrealized_pnl(Mode mode, TraderId t) const;
  /// Remaining quantity of the trader's live reduce-only orders on `side` in market `m`.
  Qty reduce_only_open(const Market& m, TraderId t, Side side) const;
  static const Position* find_position(const Account& a, MarketId market);
  AssetId lock_asset(const Market& m, Side side) const noexcept;
  Amount position_margin(Mode mode, TraderId t) const;
  Amount available(Mode mode, TraderId t, AssetId a) const;
  bool valid_trader(TraderId t) const noexcept { return t < trader_names_.size(); }

  /// Settles the events the last book call left in book_ev_ and appends them to out_.
  void settle();
  void settle_fill(ExEvent& e);
  void order_gone(TraderId trader, OrderId id);
  void release_lots(TraderId trader, OrderMeta& m, Qty qty, Qty lot);
  Position& position(Account& a, MarketId market);
  void apply_position(Mode mode, TraderId t, Market& m, Price price, Qty signed_qty);
  void add_stats(Market& m, Amount notional, Amount fees);
  OrderMeta& meta(OrderId id);

  ExchangeConfig config_;
  OrderBook::OrderPool pool_;
  std::vector<OrderMeta> meta_;  ///< parallel to pool_ slots
  std::vector<std::unique_ptr<Market>> markets_;
  std::map<std::pair<Mode, std::string>, MarketId, std::less<>> market_ids_;
  std::vector<std::string> trader_names_;
  std::map<std::string, TraderId, std::less<>> trader_ids_;
  std::array<std::vector<Account>, kModeCount> accounts_;
  std::array<SystemAccounts, kModeCount> system_;
  FlatHashMap<CidKey, OrderId, CidHash> cids_;
  std::vector<Due> due_;                ///< min-heap of GTT expiry times by market
  std::vector<std::string> cid_refs_;   ///< texts referenced by this command's events
  EventBuffer book_ev_;                 ///< what the last book call said, before settlement
  std::vector<std::uint64_t> touched_;  ///< mode << 32 | trader, checked by run_risk
  std::uint64_t commands_ = 0;          ///< commands applied by this object (not saved)
  /// Per mode and trader: 1 once the account has had a derivative position (dense, so a spot
  /// fill can tell cheaply whether it moves a margin account; rebuilt on load).
  std::array<std::vector<std::uint8_t>, kModeCount> has_positions_;
  std::vector<std::uint64_t> risk_batch_;  ///< scratch for run_risk
  std::vector<std::uint64_t> ro_dirty_;    ///< market << 32 | trader: a position of a trader that
                                           ///< may have reduce-only orders there changed
  struct RoOrder {
    OrderId id;
    Side side;
    bool pending;
    Qty qty;
    Qty remaining;
    Price price;
  };
  std::vector<RoOrder> ro_scratch_;
  ExEventBuffer* out_ = nullptr;
  SeqNo last_seq_ = 0;
  Timestamp now_ = 0;
};

}  // namespace cx::engine
