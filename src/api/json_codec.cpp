#include "api/json_codec.hpp"

// Boost.JSON is used header-only: its implementation is compiled in this file and nowhere else.
#include <boost/json/src.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include "core/decimal.hpp"

namespace cx::api {

namespace json = boost::json;
using namespace cx::engine;

namespace {

constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kI32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::size_t kMaxTraderName = 128;  // Exchange::register_trader's limit

template <class T>
using Names = std::initializer_list<std::pair<std::string_view, T>>;

const Names<Side> kSides{{"BUY", Side::Buy}, {"SELL", Side::Sell}};
const Names<Mode> kModes{{"REAL", Mode::Real}, {"PAPER", Mode::Paper}};
const Names<MarketKind> kKinds{{"SPOT", MarketKind::Spot},
                               {"PERP", MarketKind::Perp},
                               {"FUTURE", MarketKind::Future},
                               {"OPTION", MarketKind::Option}};
const Names<bool> kOptionTypes{{"CALL", true}, {"PUT", false}};
const Names<TimeInForce> kTifs{{"GTC", TimeInForce::GTC},
                               {"IOC", TimeInForce::IOC},
                               {"FOK", TimeInForce::FOK},
                               {"GTT", TimeInForce::GTT}};
const Names<SelfTradePrevention> kStps{{"NONE", SelfTradePrevention::None},
                                       {"EXPIRE_TAKER", SelfTradePrevention::ExpireTaker},
                                       {"EXPIRE_MAKER", SelfTradePrevention::ExpireMaker},
                                       {"EXPIRE_BOTH", SelfTradePrevention::ExpireBoth}};
const Names<std::pair<OrderType, TriggerKind>> kOrderTypes{
    {"LIMIT", {OrderType::Limit, TriggerKind::None}},
    {"MARKET", {OrderType::Market, TriggerKind::None}},
    {"STOP_LIMIT", {OrderType::Limit, TriggerKind::Stop}},
    {"STOP_MARKET", {OrderType::Market, TriggerKind::Stop}},
    {"TAKE_PROFIT_LIMIT", {OrderType::Limit, TriggerKind::TakeProfit}},
    {"TAKE_PROFIT_MARKET", {OrderType::Market, TriggerKind::TakeProfit}}};

constexpr std::array<std::string_view, 16> kCommands{
    "createMarket", "deposit",       "withdraw",      "placeOrder",  "cancelOrder", "cancelAll",
    "amendOrder",   "batch",         "price",         "tick",        "pauseMarket", "resumeMarket",
    "delistMarket", "fundingSample", "fundingSettle", "settleMarket"};

template <class Range>
std::string join(const Range& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

/// Number of fractional digits as written ("0.010" has 3), which becomes a market's scale.
int written_decimals(std::string_view text) noexcept {
  const std::size_t dot = text.find('.');
  return dot == std::string_view::npos ? 0 : static_cast<int>(text.size() - dot - 1);
}

/// Reads the fields of one command object. Every accessor returns a value (a default once
/// something failed) and latches the first failure, so a decoder reads its fields in a row and
/// checks ok() where a later step depends on an earlier value.
class Reader {
 public:
  /// `parent`: a batch whose "mode" and "trader" the object's commands inherit.
  Reader(const json::object& obj, std::string prefix, const json::object* parent = nullptr)
      : obj_(obj), prefix_(std::move(prefix)), parent_(parent) {}

  bool ok() const noexcept { return error_.empty(); }
  const std::string& error() const noexcept { return error_; }
  const std::string& prefix() const noexcept { return prefix_; }

  void fail(std::string_view field, std::string_view why) {
    if (!ok()) return;
    error_ = prefix_;
    if (!field.empty()) {
      error_ += field;
      error_ += ": ";
    }
    error_ += why;
  }

  /// The field's value; null counts as absent.
  const json::value* find(std::string_view key) const {
    const json::value* v = obj_.if_contains(key);
    if (!v && parent_ && (key == "mode" || key == "trader")) v = parent_->if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }
  bool has(std::string_view key) const { return find(key) != nullptr; }

  std::optional<std::string_view> opt_str(std::string_view key) {
    const json::value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      fail(key, "must be a string");
      return std::nullopt;
    }
    return std::string_view(v->get_string());
  }
  std::string_view str(std::string_view key) {
    if (!has(key)) {
      fail(key, "missing");
      return {};
    }
    return opt_str(key).value_or(std::string_view{});
  }

  bool opt_bool(std::string_view key, bool dflt) {
    const json::value* v = find(key);
    if (!v) return dflt;
    if (!v->is_bool()) {
      fail(key, "must be true or false");
      return dflt;
    }
    return v->get_bool();
  }

  std::optional<std::int64_t> opt_int(std::string_view key, std::int64_t lo, std::int64_t hi) {
    const json::value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_int64() && !v->is_uint64()) {
      fail(key, "must be an integer");
      return std::nullopt;
    }
    // A uint64 is above INT64_MAX, so above every bound.
    if (v->is_uint64() || v->get_int64() < lo || v->get_int64() > hi) {
      fail(key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    }
    return v->get_int64();
  }
  std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi) {
    if (!has(key)) fail(key, "missing");
    return opt_int(key, lo, hi).value_or(0);
  }

  /// A decimal string at `scale`, never negative (zero passes: the exchange rejects it with its
  /// own reason where it must be positive).
  std::optional<std::int64_t> opt_decimal(std::string_view key, int scale,
                                          Sign sign = Sign::NonNegative) {
    auto text = opt_str(key);
    if (!text) return std::nullopt;
    auto units = parse_decimal(*text, scale, sign);
    if (!units) {
      fail(key, units.error().message);
      return std::nullopt;
    }
    return *units;
  }
  std::int64_t decimal(std::string_view key, int scale) {
    if (!has(key)) fail(key, "missing");
    return opt_decimal(key, scale).value_or(0);
  }

  template <class T>
  std::optional<T> opt_enum(std::string_view key, const Names<T>& names) {
    auto text = opt_str(key);
    if (!text) return std::nullopt;
    for (const auto& [name, value] : names)
      if (name == *text) return value;
    std::string why = "unknown value \"" + std::string(*text) + "\" (expected";
    const char* sep = " ";
    for (const auto& [name, value] : names) {
      why += sep;
      why += name;
      sep = ", ";
    }
    fail(key, why + ")");
    return std::nullopt;
  }
  template <class T>
  T enumerated(std::string_view key, const Names<T>& names) {
    if (!has(key)) fail(key, "missing");
    return opt_enum(key, names).value_or(names.begin()->second);
  }

  /// An order id: a decimal string (or a non-negative JSON integer).
  std::optional<OrderId> opt_order_id(std::string_view key) {
    const json::value* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<OrderId>(v->get_int64());
    if (v->is_string()) {
      std::string_view s = v->get_string();
      OrderId id = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
      if (!s.empty() && ec == std::errc{} && end == s.data() + s.size()) return id;
    }
    fail(key, "must be an order id (a decimal string of digits)");
    return std::nullopt;
  }

 private:
  const json::object& obj_;
  std::string prefix_;
  const json::object* parent_;
  std::string error_;
};

/// Turns JSON command objects into engine commands against the exchange's current names.
class Decoder {
 public:
  explicit Decoder(const Exchange& ex) : ex_(ex) {}

  Result<DecodedCommand> decode(std::string_view line) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec) return fail(ErrorCode::InvalidArgument, "not JSON: " + ec.message());
    if (!v.is_object()) return fail(ErrorCode::InvalidArgument, "a command must be a JSON object");
    return decode(v.get_object());
  }

  Result<DecodedCommand> decode(const json::object& obj) {
    Reader top(obj, "");
    const std::string_view cmd = top.str("cmd");
    if (!top.ok()) return fail(ErrorCode::InvalidArgument, top.error());
    if (std::find(kCommands.begin(), kCommands.end(), cmd) == kCommands.end())
      return fail(ErrorCode::InvalidArgument, "cmd: unknown command \"" + std::string(cmd) +
                                                  "\" (expected one of " + join(kCommands) + ")");
    Reader r(obj, std::string(cmd) + ": ");
    DecodedCommand d;
    d.ts = r.opt_int("ts", 0, kI64Max).value_or(0);
    d.body = body(r, cmd, obj, d.context);
    if (!r.ok()) return fail(ErrorCode::InvalidArgument, r.error());
    d.new_traders = std::move(new_traders_);
    return d;
  }

 private:
  CommandBody body(Reader& r, std::string_view cmd, const json::object& obj, CommandContext& ctx) {
    if (cmd == "createMarket") return create_market(r, ctx);
    if (cmd == "deposit") return transfer<Deposit>(r, ctx);
    if (cmd == "withdraw") return transfer<Withdraw>(r, ctx);
    if (cmd == "placeOrder") return place(r, ctx);
    if (cmd == "cancelOrder") return cancel(r, ctx);
    if (cmd == "cancelAll") return cancel_all(r, ctx);
    if (cmd == "amendOrder") return amend(r, ctx);
    if (cmd == "batch") return batch(r, obj, ctx);
    if (cmd == "price") return price(r, ctx);
    if (cmd == "tick") return ClockTick{};
    if (cmd == "pauseMarket") return status(r, ctx, MarketStatus::Paused);
    if (cmd == "resumeMarket") return status(r, ctx, MarketStatus::Active);
    if (cmd == "delistMarket") return status(r, ctx, MarketStatus::Delisted);
    if (cmd == "fundingSample") return on_market<FundingSample>(r, ctx);
    if (cmd == "fundingSettle") return on_market<FundingSettle>(r, ctx);
    if (cmd == "settleMarket") return on_market<SettleMarket>(r, ctx);
    r.fail("", "unknown command");  // decode() names the known ones first
    return ClockTick{};
  }

  // ---- names

  Mode mode(Reader& r, CommandContext& ctx) {
    const Mode m = r.enumerated("mode", kModes);
    if (r.ok()) ctx.mode = m;
    return m;
  }

  TraderId trader(Reader& r) {
    const std::string_view name = r.str("trader");
    if (!r.ok()) return 0;
    if (name.empty() || name.size() > kMaxTraderName) {
      r.fail("trader", "must be 1 to 128 characters");
      return 0;
    }
    if (auto id = ex_.trader_id(name)) return *id;
    const auto base = static_cast<TraderId>(ex_.trader_count());
    for (std::size_t i = 0; i < new_traders_.size(); ++i)
      if (new_traders_[i] == name) return base + static_cast<TraderId>(i);
    new_traders_.emplace_back(name);
    return base + static_cast<TraderId>(new_traders_.size() - 1);
  }

  /// The market named by `key` in `mode`, or null (and a failure) if there is none.
  const Market* market(Reader& r, Mode m, CommandContext& ctx, bool required = true) {
    if (!required && !r.has("market")) return nullptr;
    const std::string_view symbol = r.str("market");
    if (!r.ok()) return nullptr;
    auto id = ex_.market_id(m, symbol);
    if (!id) {
      r.fail("market",
             "unknown market \"" + std::string(symbol) + "\" in mode " + std::string(to_string(m)));
      return nullptr;
    }
    ctx.market = std::string(symbol);
    return &ex_.market(*id);
  }

  std::optional<AssetId> asset(Reader& r, std::string_view key) {
    auto symbol = r.opt_str(key);
    if (!symbol) return std::nullopt;
    auto id = asset_by_symbol(*symbol);
    if (!id) r.fail(key, "unknown asset \"" + std::string(*symbol) + "\"");
    return id;
  }

  /// The live order `id`'s market, if it is open (a linear walk; amends by id only).
  std::optional<MarketId> market_of_order(OrderId id) const {
    std::optional<MarketId> found;
    ex_.for_each_open_order([&](const Market& m, const Order& o) {
      if (o.id == id) found = m.id;
    });
    return found;
  }

  // ---- commands

  CommandBody create_market(Reader& r, CommandContext& ctx) {
    MarketSpec s;
    s.mode = mode(r, ctx);
    s.symbol = r.str("symbol");
    ctx.market = s.symbol;
    s.kind = r.enumerated("kind", kKinds);
    if (!r.ok()) return ClockTick{};
    const bool spot = s.kind == MarketKind::Spot;
    if (spot && !r.has("base")) r.fail("base", "missing (a spot market trades a synth)");
    s.base = asset(r, "base").value_or(kSBTC);
    s.quote = asset(r, "quote").value_or(kUSDC);
    const std::string_view tick = r.str("tickSize");
    const std::string_view lot = r.str("lotSize");
    if (!r.ok()) return ClockTick{};
    s.price_scale = written_decimals(tick);
    s.qty_scale = written_decimals(lot);
    s.tick = r.decimal("tickSize", s.price_scale);
    s.lot = r.decimal("lotSize", s.qty_scale);
    s.min_qty = r.opt_decimal("minSize", s.qty_scale).value_or(s.lot);
    s.maker_fee_bps =
        static_cast<std::int32_t>(r.opt_int("makerFeeBps", -kI32Max, kI32Max).value_or(0));
    s.taker_fee_bps =
        static_cast<std::int32_t>(r.opt_int("takerFeeBps", -kI32Max, kI32Max).value_or(0));
    if (auto u = r.opt_str("underlying")) {
      s.underlying = *u;
    } else if (spot) {
      std::string_view synth = kAssets[s.base].symbol;
      s.underlying = synth.starts_with('s') ? synth.substr(1) : synth;
    }
    if (spot) return CreateMarket{std::move(s)};  // derivative fields are ignored
    const bool dated = s.kind == MarketKind::Future || s.kind == MarketKind::Option;
    if (dated)
      s.expiry = r.integer("expiry", 0, kI64Max);
    else
      s.expiry = r.opt_int("expiry", 0, kI64Max).value_or(0);
    if (s.kind == MarketKind::Option) {
      s.strike = r.decimal("strike", s.price_scale);
      s.is_call = r.enumerated("optionType", kOptionTypes);
    }
    s.initial_margin_bps = static_cast<std::int32_t>(
        r.opt_int("initialMarginBps", -kI32Max, kI32Max).value_or(s.initial_margin_bps));
    s.maintenance_margin_bps = static_cast<std::int32_t>(
        r.opt_int("maintenanceMarginBps", -kI32Max, kI32Max).value_or(s.maintenance_margin_bps));
    return CreateMarket{std::move(s)};
  }

  template <class T>
  CommandBody transfer(Reader& r, CommandContext& ctx) {
    T t;
    t.mode = mode(r, ctx);
    t.trader = trader(r);
    ctx.names_trader = true;
    if (!r.has("asset")) r.fail("asset", "missing");
    t.asset = asset(r, "asset").value_or(kUSDC);
    if (!r.ok()) return ClockTick{};
    t.amount = r.decimal("amount", kAssets[t.asset].scale);
    return t;
  }

  CommandBody place(Reader& r, CommandContext& ctx) {
    PlaceOrder p;
    NewOrder& o = p.order;
    const Mode m = mode(r, ctx);
    o.trader = trader(r);
    ctx.names_trader = true;
    const Market* mk = market(r, m, ctx);
    if (!mk) return ClockTick{};
    p.market = mk->id;
    const MarketSpec& s = mk->spec;
    o.side = r.enumerated("side", kSides);
    std::tie(o.type, o.trigger_kind) = r.enumerated("type", kOrderTypes);
    if (!r.ok()) return ClockTick{};
    o.price = r.decimal("price", s.price_scale);
    o.qty = r.decimal("qty", s.qty_scale);
    const TimeInForce dflt = o.type == OrderType::Market ? TimeInForce::IOC : TimeInForce::GTC;
    o.tif = r.opt_enum("timeInForce", kTifs).value_or(dflt);
    if (o.tif == TimeInForce::GTT)
      o.expire_at = r.integer("expireAt", 0, kI64Max);
    else if (r.has("expireAt"))
      r.fail("expireAt", "only with timeInForce GTT");
    if (o.trigger_kind != TriggerKind::None)
      o.trigger = r.decimal("triggerPrice", s.price_scale);
    else if (r.has("triggerPrice"))
      r.fail("triggerPrice", "only with STOP_* and TAKE_PROFIT_* types");
    o.post_only = r.opt_bool("postOnly", false);
    o.reduce_only = r.opt_bool("reduceOnly", false);
    o.stp = r.opt_enum("selfTradePrevention", kStps).value_or(SelfTradePrevention::ExpireTaker);
    p.client_order_id = r.opt_str("clientOrderId").value_or(std::string_view{});
    return p;
  }

  CommandBody cancel(Reader& r, CommandContext& ctx) {
    CancelOrder c;
    c.mode = mode(r, ctx);
    c.trader = trader(r);
    ctx.names_trader = true;
    auto id = r.opt_order_id("orderId");
    auto cid = r.opt_str("clientOrderId");
    if (r.ok() && id.has_value() == cid.has_value())
      r.fail("", "give exactly one of orderId and clientOrderId");
    c.order_id = id.value_or(0);
    c.client_order_id = cid.value_or(std::string_view{});
    return c;
  }

  CommandBody cancel_all(Reader& r, CommandContext& ctx) {
    CancelAll c;
    c.mode = mode(r, ctx);
    c.trader = trader(r);
    ctx.names_trader = true;
    if (!r.ok()) return ClockTick{};
    if (const Market* mk = market(r, c.mode, ctx, /*required=*/false)) c.market = mk->id;
    return c;
  }

  CommandBody amend(Reader& r, CommandContext& ctx) {
    AmendOrder a;
    const Mode m = mode(r, ctx);
    a.mode = m;
    a.amend.trader = trader(r);
    ctx.names_trader = true;
    auto id = r.opt_order_id("orderId");
    auto cid = r.opt_str("clientOrderId");
    if (!r.ok()) return ClockTick{};
    if (id.has_value() == cid.has_value()) {
      r.fail("", "give exactly one of orderId and clientOrderId");
      return ClockTick{};
    }
    const Market* mk = market(r, m, ctx, /*required=*/cid.has_value());
    if (!r.ok()) return ClockTick{};
    if (id) {
      // An amend by id works on the order's own market; its scales read price and qty.
      a.amend.order_id = *id;
      if (auto open = market_of_order(*id)) {
        if (mk && mk->id != *open) {
          r.fail("market",
                 "order " + std::to_string(*id) + " is in market " + ex_.market(*open).spec.symbol);
          return ClockTick{};
        }
        mk = &ex_.market(*open);
        ctx.market = mk->spec.symbol;
      }
    } else {
      a.market = mk->id;
      a.client_order_id = *cid;
    }
    // Zero is "keep" to the engine, so an explicit "0" would be silently ignored: refuse it.
    if (mk) {
      a.amend.price = r.opt_decimal("price", mk->spec.price_scale, Sign::PositiveOnly).value_or(0);
      a.amend.qty = r.opt_decimal("qty", mk->spec.qty_scale, Sign::PositiveOnly).value_or(0);
    } else {
      // Not open and no market named: the exchange rejects it (ORDER_NOT_FOUND) whatever the
      // values; still check that they are positive decimals.
      for (std::string_view key : {"price", "qty"}) {
        auto text = r.opt_str(key);
        if (text) (void)r.opt_decimal(key, written_decimals(*text), Sign::PositiveOnly);
      }
    }
    return a;
  }

  CommandBody batch(Reader& r, const json::object& obj, CommandContext& ctx) {
    Batch b;
    ctx.names_trader = true;
    if (r.has("mode")) (void)r.enumerated("mode", kModes);  // checked even with no commands
    const json::value* list = r.find("commands");
    if (!list) {
      r.fail("commands", "missing");
      return ClockTick{};
    }
    if (!list->is_array()) {
      r.fail("commands", "must be an array of commands");
      return ClockTick{};
    }
    std::optional<Mode> common;
    std::string market;
    bool first = true;
    for (std::size_t i = 0; i < list->get_array().size() && r.ok(); ++i) {
      const json::value& v = list->get_array()[i];
      const std::string at = "commands[" + std::to_string(i) + "]";
      if (!v.is_object()) {
        r.fail(at, "must be a command object");
        break;
      }
      Reader head(v.get_object(), r.prefix() + at + ": ", &obj);
      const std::string_view cmd = head.str("cmd");
      Reader sub(v.get_object(), head.prefix() + std::string(cmd) + ": ", &obj);
      CommandContext c;
      Command sc;
      if (!head.ok()) {
      } else if (cmd == "placeOrder") {
        sc.body = place(sub, c);
      } else if (cmd == "amendOrder") {
        sc.body = amend(sub, c);
      } else if (cmd == "cancelOrder") {
        sc.body = cancel(sub, c);
      } else if (cmd == "cancelAll") {
        sc.body = cancel_all(sub, c);
      } else {
        head.fail("cmd", "\"" + std::string(cmd) +
                             "\" is not allowed in a batch (only placeOrder, amendOrder, "
                             "cancelOrder and cancelAll)");
      }
      const Reader& failed = head.ok() ? sub : head;
      if (!failed.ok()) {
        // Both prefixes start with the batch's own.
        r.fail("", failed.error().substr(r.prefix().size()));
        break;
      }
      if (first) {
        common = c.mode;
        market = c.market;
        first = false;
      } else {
        if (common != c.mode) common.reset();
        if (market != c.market) market.clear();
      }
      b.commands.push_back(std::move(sc));
    }
    ctx.mode = common;
    ctx.market = market;
    return b;
  }

  CommandBody price(Reader& r, CommandContext& ctx) {
    PriceUpdate p;
    const Mode m = mode(r, ctx);
    const Market* mk = market(r, m, ctx);
    if (!mk) return ClockTick{};
    p.market = mk->id;
    p.index = r.decimal("index", mk->spec.price_scale);
    p.mark = r.opt_decimal("mark", mk->spec.price_scale).value_or(0);  // none: derived
    return p;
  }

  template <class C>
  CommandBody on_market(Reader& r, CommandContext& ctx) {
    const Mode m = mode(r, ctx);
    const Market* mk = market(r, m, ctx);
    if (!mk) return ClockTick{};
    return C{mk->id};
  }

  CommandBody status(Reader& r, CommandContext& ctx, MarketStatus to) {
    const Mode m = mode(r, ctx);
    const Market* mk = market(r, m, ctx);
    if (!mk) return ClockTick{};
    return SetMarketStatus{mk->id, to};
  }

  const Exchange& ex_;
  std::vector<std::string> new_traders_;
};

// ---------------------------------------------------------------- encoding

std::string price_text(const Market& m, Price p) {
  return format_decimal(p, m.spec.price_scale);
}
std::string qty_text(const Market& m, Qty q) {
  return format_decimal(q, m.spec.qty_scale);
}
std::string amount_text(AssetId a, Amount v) {
  return format_decimal(v, kAssets[a].scale);
}

void put_spec(json::object& o, const MarketSpec& s) {
  o["kind"] = to_string(s.kind);
  if (s.kind == MarketKind::Spot) o["base"] = kAssets[s.base].symbol;
  o["quote"] = kAssets[s.quote].symbol;
  o["underlying"] = s.underlying;
  o["tickSize"] = format_decimal(s.tick, s.price_scale);
  o["lotSize"] = format_decimal(s.lot, s.qty_scale);
  o["minSize"] = format_decimal(s.min_qty, s.qty_scale);
  o["makerFeeBps"] = s.maker_fee_bps;
  o["takerFeeBps"] = s.taker_fee_bps;
  if (s.kind == MarketKind::Spot) return;
  if (s.kind != MarketKind::Perp) o["expiry"] = s.expiry;
  if (s.kind == MarketKind::Option) {
    o["strike"] = format_decimal(s.strike, s.price_scale);
    o["optionType"] = s.is_call ? "CALL" : "PUT";
  }
  o["initialMarginBps"] = s.initial_margin_bps;
  o["maintenanceMarginBps"] = s.maintenance_margin_bps;
}

}  // namespace

Result<DecodedCommand> decode_command(std::string_view line, const Exchange& ex) {
  return Decoder(ex).decode(line);
}

Result<DecodedCommand> decode_command(const json::object& command, const Exchange& ex) {
  return Decoder(ex).decode(command);
}

std::string_view event_name(EventType t) noexcept {
  switch (t) {
    case EventType::Accepted:
      return "accepted";
    case EventType::Rejected:
      return "rejected";
    case EventType::Fill:
      return "fill";
    case EventType::Cancelled:
      return "cancelled";
    case EventType::Expired:
      return "expired";
    case EventType::Amended:
      return "amended";
    case EventType::Triggered:
      return "triggered";
    case EventType::Depth:
      return "depth";
    case EventType::TraderRegistered:
      return "traderRegistered";
    case EventType::MarketCreated:
      return "marketCreated";
    case EventType::MarketStatus:
      return "marketStatus";
    case EventType::Deposited:
      return "deposited";
    case EventType::Withdrawn:
      return "withdrawn";
    case EventType::PriceUpdated:
      return "price";
    case EventType::Liquidation:
      return "liquidation";
    case EventType::LiquidationPenalty:
      return "liquidationPenalty";
    case EventType::InsurancePaid:
      return "insurancePaid";
    case EventType::InsuranceShortfall:
      return "insuranceShortfall";
    case EventType::AutoDeleveraged:
      return "autoDeleveraged";
    case EventType::FundingSampled:
      return "fundingSampled";
    case EventType::FundingSettled:
      return "fundingSettled";
    case EventType::FundingPaid:
      return "funding";
    case EventType::MarketSettled:
      return "marketSettled";
    case EventType::SettlementPaid:
      return "settlement";
    case EventType::SettlementHaircut:
      return "settlementHaircut";
    case EventType::ProfitRealized:
      return "profitRealized";
  }
  return "unknown";
}

json::object encode_event(const ExEvent& e, const Exchange& ex, const CommandContext& ctx,
                          SeqNo seq) {
  json::object o;
  o.reserve(20);  // a fill's keys, the most of any event: no rehash while it is built
  o["event"] = event_name(e.type);
  o["seq"] = seq;
  const auto mode = static_cast<Mode>(e.mode);
  auto trader = [&](TraderId t) -> std::string_view {
    return t < ex.trader_count() ? std::string_view(ex.trader_name(t)) : std::string_view{};
  };
  if (e.type == EventType::Rejected) {
    if (ctx.mode) o["mode"] = to_string(*ctx.mode);
    if (ctx.names_trader) o["trader"] = trader(e.trader);
    if (!ctx.market.empty()) o["market"] = ctx.market;
    o["clientOrderId"] = ex.client_order_id(e.cid_ref);
    if (e.order_id != 0) o["orderId"] = std::to_string(e.order_id);
    o["reason"] = to_string(e.reason);
    o["reasonClass"] = to_string(class_of(e.reason));
    return o;
  }
  if (e.type == EventType::TraderRegistered) {
    o["trader"] = trader(e.trader);
    return o;
  }
  if (e.type == EventType::Liquidation || e.type == EventType::LiquidationPenalty ||
      e.type == EventType::InsurancePaid || e.type == EventType::InsuranceShortfall) {
    o["mode"] = to_string(mode);
    o["trader"] = trader(e.trader);
    if (e.type == EventType::Liquidation) {
      if (e.market < ex.market_count()) o["market"] = ex.market(e.market).spec.symbol;
      o["equity"] = amount_text(kUSDC, e.amount);
      o["maintenanceMargin"] = amount_text(kUSDC, e.notional);
    } else {
      o["amount"] = amount_text(kUSDC, e.amount);
    }
    return o;
  }
  if (e.type == EventType::Deposited || e.type == EventType::Withdrawn) {
    o["mode"] = to_string(mode);
    o["trader"] = trader(e.trader);
    o["asset"] = kAssets[e.asset].symbol;
    o["amount"] = amount_text(e.asset, e.amount);
    return o;
  }
  // Every other event belongs to a market.
  if (e.market >= ex.market_count()) return o;
  const Market& m = ex.market(e.market);
  o["mode"] = to_string(m.spec.mode);
  o["market"] = m.spec.symbol;
  switch (e.type) {
    case EventType::Fill:
      o["price"] = price_text(m, e.price);
      o["qty"] = qty_text(m, e.qty);
      o["notional"] = amount_text(m.spec.quote, e.notional);
      o["takerSide"] = to_string(e.side);
      o["takerTrader"] = trader(e.trader);
      o["takerClientOrderId"] = ex.client_order_id(e.cid_ref);
      o["takerOrderId"] = std::to_string(e.order_id);
      o["takerFee"] = amount_text(m.spec.quote, e.taker_fee);
      o["takerRemainingQty"] = qty_text(m, e.remaining);
      o["makerTrader"] = trader(e.maker_trader);
      o["makerClientOrderId"] = ex.client_order_id(e.maker_cid_ref);
      o["makerOrderId"] = std::to_string(e.maker_id);
      o["makerFee"] = amount_text(m.spec.quote, e.maker_fee);
      o["makerRemainingQty"] = qty_text(m, e.maker_remaining);
      if (e.reason == Reason::Liquidation) o["liquidation"] = true;  // the taker was liquidated
      break;
    case EventType::Accepted:
    case EventType::Cancelled:
    case EventType::Expired:
    case EventType::Amended:
    case EventType::Triggered:
      o["trader"] = trader(e.trader);
      o["clientOrderId"] = ex.client_order_id(e.cid_ref);
      o["orderId"] = std::to_string(e.order_id);
      o["side"] = to_string(e.side);
      if (e.type == EventType::Triggered)
        o["triggerPrice"] = price_text(m, e.price);
      else
        o["price"] = price_text(m, e.price);
      o["qty"] = qty_text(m, e.qty);  // Cancelled / Expired: the quantity removed
      if (e.type == EventType::Amended) o["remainingQty"] = qty_text(m, e.remaining);
      if (e.type == EventType::Cancelled || e.type == EventType::Expired)
        o["reason"] = to_string(e.reason);
      break;
    case EventType::Depth:
      o["side"] = to_string(e.side);
      o["price"] = price_text(m, e.price);
      o["qty"] = qty_text(m, e.qty);
      o["count"] = e.count;
      break;
    case EventType::MarketCreated:
      put_spec(o, m.spec);
      break;
    case EventType::MarketStatus:
      o["status"] = to_string(static_cast<MarketStatus>(e.count));
      break;
    case EventType::PriceUpdated:
      o["index"] = price_text(m, e.qty);
      o["mark"] = price_text(m, e.price);
      break;
    case EventType::AutoDeleveraged:
      o["trader"] = trader(e.trader);
      o["side"] = to_string(e.side);
      o["price"] = price_text(m, e.price);
      o["qty"] = qty_text(m, e.qty);
      o["notional"] = amount_text(m.spec.quote, e.notional);
      o["liquidatedTrader"] = trader(e.maker_trader);
      break;
    case EventType::FundingSampled:
      o["index"] = price_text(m, e.qty);
      o["mark"] = price_text(m, e.price);
      o["premiumPpm"] = e.amount;
      break;
    case EventType::FundingSettled:
      o["index"] = price_text(m, e.price);
      o["ratePpm"] = e.amount;
      o["samples"] = e.count;
      o["toInsurance"] = amount_text(m.spec.quote, e.notional);
      break;
    case EventType::FundingPaid:
    case EventType::SettlementPaid:
    case EventType::SettlementHaircut:
    case EventType::ProfitRealized:
      o["trader"] = trader(e.trader);
      if (e.type == EventType::ProfitRealized) {
        o["size"] = format_decimal(e.qty, m.spec.qty_scale);
      } else if (e.type != EventType::SettlementHaircut) {
        o["price"] = price_text(m, e.price);
        o["size"] = format_decimal(e.qty, m.spec.qty_scale);
      }
      o["amount"] = amount_text(m.spec.quote, e.amount);
      break;
    case EventType::MarketSettled:
      o["price"] = price_text(m, e.price);
      break;
    default:
      break;
  }
  return o;
}

}  // namespace cx::api
