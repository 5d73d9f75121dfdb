#pragma once
/// What the read store holds and returns. Money, prices and quantities are integer units; each
/// record carries the scales needed to print them exactly (cx::format_decimal). Times are
/// milliseconds since the Unix epoch, taken from the command stream (never a clock here).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "engine/asset.hpp"
#include "engine/types.hpp"
#include "store/kline.hpp"

namespace cx::store {

using engine::Mode;
using engine::Side;

// ---------------------------------------------------------------- accounts

/// A user. `id` is the trader id: the exchange's trader name, which links user, trader and
/// provider records.
struct User {
  std::string id;
  std::string email;  ///< unique, compared without regard to ASCII case
  Timestamp created_at = 0;
  std::vector<std::string> roles;  ///< sorted, unique; each [a-z0-9_-]{1,32}
};

enum class KeyKind : std::uint8_t { UserAk, TraderAk, ProviderAk };
/// "userAk", "traderAk", "providerAk".
std::string_view to_string(KeyKind k) noexcept;
std::optional<KeyKind> key_kind_from(std::string_view s) noexcept;

/// An API key. Only its SHA-256 is stored (64 lowercase hex digits, computed by the caller);
/// `prefix` is the part shown to its owner when keys are listed.
struct ApiKey {
  std::string prefix;  ///< unique; 1 to 32 of [A-Za-z0-9_-]
  KeyKind kind = KeyKind::TraderAk;
  std::string user_id;
  std::string hash;
  std::string label;
  Timestamp created_at = 0;
  std::optional<Timestamp> last_used_at;
  std::optional<Timestamp> revoked_at;
  bool active() const noexcept { return !revoked_at.has_value(); }
};

/// A login session, named by the SHA-256 (hex) of its refresh token.
struct Session {
  std::string token_hash;
  std::string user_id;
  Timestamp created_at = 0;
  Timestamp expires_at = 0;
  std::optional<Timestamp> revoked_at;
  bool active(Timestamp now) const noexcept { return !revoked_at && now < expires_at; }
};

// ---------------------------------------------------------------- markets and traders

struct MarketInfo {
  MarketId id = 0;
  Mode mode = Mode::Paper;
  std::string symbol;
  engine::MarketKind kind = engine::MarketKind::Spot;
  engine::MarketStatus status = engine::MarketStatus::Active;
  std::string underlying;
  engine::AssetId base = 0;
  engine::AssetId quote = 0;
  int price_scale = 0;
  int qty_scale = 0;
  int quote_scale = 0;  ///< of the quote asset (USDC: 6): notional and fees
};

// ---------------------------------------------------------------- orders

/// An order's status in the history. OPEN: live, nothing filled (including a stop or
/// take-profit order waiting for its trigger); PARTIAL: live, partly filled; FILLED; CANCELLED
/// (by its trader, a cancel-all or a delisting; may have partly filled); EXPIRED (IOC, FOK or
/// market remainder, self-trade prevention, GTT; may have partly filled); REJECTED (refused at
/// placement: no order id).
enum class OrderStatus : std::uint8_t { Open, Partial, Filled, Cancelled, Expired, Rejected };
std::string_view to_string(OrderStatus s) noexcept;
std::optional<OrderStatus> order_status_from(std::string_view s) noexcept;

/// A set of statuses for filters.
struct StatusSet {
  std::uint8_t bits = 0x3F;  ///< every status
  static constexpr StatusSet all() { return {}; }
  static constexpr StatusSet none() { return StatusSet{0}; }
  static constexpr StatusSet open() { return StatusSet{0x03}; }  ///< OPEN and PARTIAL
  static constexpr StatusSet closed() { return StatusSet{0x3C}; }
  constexpr StatusSet with(OrderStatus s) const {
    return StatusSet{static_cast<std::uint8_t>(bits | (1u << static_cast<unsigned>(s)))};
  }
  constexpr bool has(OrderStatus s) const { return (bits >> static_cast<unsigned>(s)) & 1u; }
};

/// What the placing command said about an order beyond what its events carry. Known when the
/// projector was given the command (Projector::apply_batch's `cmd`); absent otherwise.
struct OrderTerms {
  engine::OrderType type = engine::OrderType::Limit;
  engine::TimeInForce tif = engine::TimeInForce::GTC;
  engine::TriggerKind trigger_kind = engine::TriggerKind::None;
  Price trigger_price = 0;
  Timestamp expire_at = 0;  ///< GTT only
  bool post_only = false;
  bool reduce_only = false;
  engine::SelfTradePrevention stp = engine::SelfTradePrevention::ExpireTaker;
};

struct OrderRecord {
  std::uint64_t hid = 0;  ///< history id: projection order, unique, the pagination cursor
  OrderId order_id = 0;   ///< the engine's id; 0 for a rejected placement
  TraderId trader = 0;
  Mode mode = Mode::Paper;
  MarketId market = 0;
  std::string client_order_id;
  Side side = Side::Buy;
  std::optional<OrderTerms> terms;
  Price price = 0;  ///< limit price (a market order's protection price)
  Qty qty = 0;      ///< total quantity (after amends)
  Qty filled = 0;
  Qty remaining = 0;           ///< still live on the book or waiting for a trigger; 0 once closed
  Amount filled_notional = 0;  ///< sum of price x qty of its fills, quote units
  Amount fees = 0;             ///< fees this order paid, quote units
  OrderStatus status = OrderStatus::Open;
  std::string reason;  ///< engine::Reason code of a CANCELLED/EXPIRED/REJECTED order, else ""
  SeqNo created_seq = 0;
  Timestamp created_at = 0;
  SeqNo updated_seq = 0;
  Timestamp updated_at = 0;
  std::optional<Timestamp> triggered_at;
  // Filled in on reads from the market.
  std::string symbol;
  int price_scale = 0;
  int qty_scale = 0;
  int quote_scale = 0;
};

// ---------------------------------------------------------------- trades

/// One fill as the market saw it (recent trades, public).
struct TradeRecord {
  std::uint64_t id = 0;  ///< trade id: projection order, unique, the pagination cursor
  SeqNo seq = 0;
  Timestamp ts = 0;
  Mode mode = Mode::Paper;
  MarketId market = 0;
  Price price = 0;  ///< the maker's price
  Qty qty = 0;
  Amount notional = 0;
  Side taker_side = Side::Buy;
  TraderId taker = 0;
  OrderId taker_order = 0;
  Amount taker_fee = 0;
  TraderId maker = 0;
  OrderId maker_order = 0;
  Amount maker_fee = 0;
  // Filled in on reads.
  std::string symbol;
  int price_scale = 0;
  int qty_scale = 0;
  int quote_scale = 0;
};

/// One fill as one of its traders saw it (trade history). A self-trade gives its trader two
/// records, one as taker and one as maker.
struct FillRecord {
  std::uint64_t id = 0;  ///< trade id x 2 + (1 for the maker's side): the pagination cursor
  std::uint64_t trade_id = 0;
  SeqNo seq = 0;
  Timestamp ts = 0;
  TraderId trader = 0;
  Mode mode = Mode::Paper;
  MarketId market = 0;
  OrderId order_id = 0;
  std::string client_order_id;
  Side side = Side::Buy;  ///< this trader's side
  bool maker = false;
  Price price = 0;
  Qty qty = 0;
  Amount notional = 0;
  Amount fee = 0;  ///< this trader's fee, quote units
  // Filled in on reads.
  std::string symbol;
  int price_scale = 0;
  int qty_scale = 0;
  int quote_scale = 0;
};

// ---------------------------------------------------------------- klines and points

struct Kline {
  MarketId market = 0;
  KlineInterval interval = KlineInterval::M1;
  Timestamp open_time = 0;   ///< bucket start (UTC, see kline.hpp)
  Timestamp close_time = 0;  ///< bucket end, exclusive
  Price open = 0;
  Price high = 0;
  Price low = 0;
  Price close = 0;
  Qty volume = 0;           ///< base quantity, the market's quantity units
  Amount quote_volume = 0;  ///< sum of notionals, quote units
  std::int64_t trades = 0;
  bool operator==(const Kline&) const = default;
};

/// A PAPER account's points and what they are made of (engine::ExchangeConfig has the weights).
struct PointsEntry {
  TraderId trader = 0;
  std::string name;  ///< the trader's name (user id)
  std::int64_t points = 0;
  std::int64_t limit_orders = 0;
  Amount volume = 0;  ///< USDC units traded
  Amount profit = 0;  ///< USDC units of realised profit
  /// USDC units of realised PnL of PAPER derivative positions (closes, settlements, funding;
  /// fees not included); may be negative
  Amount pnl = 0;
  SeqNo seq = 0;  ///< as of this command
  Timestamp ts = 0;
  std::int64_t rank = 0;  ///< leaderboard position (1 = first); 0 outside a leaderboard
};

/// Points at the end of a UTC day (the last value that day).
struct PointsSnapshot {
  Timestamp day = 0;  ///< the day's start, 00:00 UTC
  std::int64_t points = 0;
  Amount volume = 0;
  Amount profit = 0;
  std::int64_t limit_orders = 0;
};

// ---------------------------------------------------------------- queries

/// Newest first. Pass a page's `next` back as `before` for the following page: ids only grow,
/// so pages never repeat or skip an item, whatever is projected in between.
template <class T>
struct Page {
  std::vector<T> items;
  std::optional<std::uint64_t> next;  ///< cursor of the next page; none: this is the last
};

inline constexpr std::size_t kMaxPageSize = 1000;

struct OrderQuery {
  TraderId trader = 0;
  Mode mode = Mode::Paper;
  std::optional<MarketId> market;
  StatusSet statuses = StatusSet::all();
  std::optional<Timestamp> from;        ///< created_at >= from
  std::optional<Timestamp> to;          ///< created_at < to
  std::optional<std::uint64_t> before;  ///< cursor: hid < before
  std::size_t limit = 100;              ///< 1..kMaxPageSize
};

struct FillQuery {
  TraderId trader = 0;
  Mode mode = Mode::Paper;
  std::optional<MarketId> market;
  std::optional<Timestamp> from;        ///< ts >= from
  std::optional<Timestamp> to;          ///< ts < to
  std::optional<std::uint64_t> before;  ///< cursor: id < before
  std::size_t limit = 100;
};

/// The last index and mark of a market in one minute (PriceUpdated events, one row per
/// market and minute: a bounded history however often prices arrive).
struct PricePoint {
  MarketId market = 0;
  Timestamp minute = 0;  ///< start of the UTC minute
  Price index = 0;
  Price mark = 0;
  Timestamp ts = 0;  ///< time of that last update
};

struct PriceQuery {
  MarketId market = 0;
  std::optional<Timestamp> from;  ///< minute >= from: the earliest `limit` from there
  std::optional<Timestamp> to;    ///< minute < to; without `from`: the latest `limit` before
  std::size_t limit = 500;        ///< 1..kMaxPageSize
};

/// Cash a trader's account received or paid outside trading (docs/read-store.md, "Income"):
/// FUNDING (a perpetual's payment, < 0: paid), SETTLEMENT (a future's realised PnL or an
/// option's intrinsic value at expiry), SETTLEMENT_HAIRCUT (taken from a settlement gain, < 0),
/// LIQUIDATION_PENALTY (< 0), INSURANCE_PAID (the fund covered a deficit, > 0),
/// INSURANCE_SHORTFALL (a deficit written off beyond the fund, > 0).
enum class IncomeKind : std::uint8_t {
  Funding,
  Settlement,
  SettlementHaircut,
  LiquidationPenalty,
  InsurancePaid,
  InsuranceShortfall,
};
std::string_view to_string(IncomeKind k) noexcept;
std::optional<IncomeKind> income_kind_from(std::string_view s) noexcept;

struct IncomeRecord {
  std::uint64_t id = 0;  ///< assigned by the store, increasing
  SeqNo seq = 0;
  Timestamp ts = 0;
  Mode mode = Mode::Paper;
  TraderId trader = 0;
  std::optional<MarketId> market;  ///< none for penalties and insurance (account-wide)
  IncomeKind kind = IncomeKind::Funding;
  Amount amount = 0;   ///< USDC units, signed: > 0 received
  std::string symbol;  ///< the market's, "" without one (read back only)
};

struct IncomeQuery {
  TraderId trader = 0;
  Mode mode = Mode::Paper;
  std::optional<MarketId> market;
  std::optional<IncomeKind> kind;
  std::optional<std::uint64_t> before;  ///< cursor: id < before
  std::size_t limit = 100;
};

struct KlineQuery {
  MarketId market = 0;
  KlineInterval interval = KlineInterval::M1;
  std::optional<Timestamp> from;  ///< open_time >= from: the earliest `limit` from there
  std::optional<Timestamp> to;    ///< open_time < to; without `from`: the latest `limit` before
  std::size_t limit = 500;        ///< 1..kMaxPageSize
};

}  // namespace cx::store
