#include "engine/command_codec.hpp"

#include <cstring>
#include <string>
#include <type_traits>

#include "core/bytes.hpp"

namespace cx::engine {

namespace {

/// Type tags: part of the journal format, never renumbered.
enum class Tag : std::uint8_t {
  RegisterTrader = 1,
  CreateMarket = 2,
  SetMarketStatus = 3,
  Deposit = 4,
  Withdraw = 5,
  PlaceOrder = 6,
  AmendOrder = 7,
  CancelOrder = 8,
  CancelAll = 9,
  PriceUpdate = 10,
  ClockTick = 11,
  Batch = 12,
  FundingSample = 13,
  FundingSettle = 14,
  SettleMarket = 15,
};

using Writer = ByteWriter;
using Reader = ByteReader;

void put_order(Writer& w, const NewOrder& o) {
  w.put(o.trader);
  w.put(o.client_id);
  w.u8(static_cast<std::uint8_t>(o.side));
  w.u8(static_cast<std::uint8_t>(o.type));
  w.u8(static_cast<std::uint8_t>(o.tif));
  w.u8(static_cast<std::uint8_t>(o.trigger_kind));
  w.u8(static_cast<std::uint8_t>(o.stp));
  w.u8(static_cast<std::uint8_t>((o.post_only ? 1 : 0) | (o.reduce_only ? 2 : 0)));
  w.put(o.price);
  w.put(o.qty);
  w.put(o.trigger);
  w.put(o.expire_at);
}

bool get_order(Reader& r, NewOrder& o) {
  o.trader = r.get<TraderId>();
  o.client_id = r.get<ClientOrderId>();
  const auto side = r.get<std::uint8_t>();
  const auto type = r.get<std::uint8_t>();
  const auto tif = r.get<std::uint8_t>();
  const auto trig = r.get<std::uint8_t>();
  const auto stp = r.get<std::uint8_t>();
  const auto flags = r.get<std::uint8_t>();
  o.price = r.get<Price>();
  o.qty = r.get<Qty>();
  o.trigger = r.get<Price>();
  o.expire_at = r.get<Timestamp>();
  if (side > 1 || type > 1 || tif > 3 || trig > 2 || stp > 3 || flags > 3) return false;
  o.side = static_cast<Side>(side);
  o.type = static_cast<OrderType>(type);
  o.tif = static_cast<TimeInForce>(tif);
  o.trigger_kind = static_cast<TriggerKind>(trig);
  o.stp = static_cast<SelfTradePrevention>(stp);
  o.post_only = (flags & 1) != 0;
  o.reduce_only = (flags & 2) != 0;
  return r.ok();
}

}  // namespace

void write_spec(ByteWriter& w, const MarketSpec& s) {
  w.str(s.symbol);
  w.u8(static_cast<std::uint8_t>(s.mode));
  w.u8(static_cast<std::uint8_t>(s.kind));
  w.u8(s.base);
  w.u8(s.quote);
  w.str(s.underlying);
  w.put(static_cast<std::int32_t>(s.price_scale));
  w.put(static_cast<std::int32_t>(s.qty_scale));
  w.put(s.tick);
  w.put(s.lot);
  w.put(s.min_qty);
  w.put(s.maker_fee_bps);
  w.put(s.taker_fee_bps);
  w.put(s.expiry);
  w.put(s.strike);
  w.u8(s.is_call ? 1 : 0);
  w.put(s.initial_margin_bps);
  w.put(s.maintenance_margin_bps);
}

bool read_spec(ByteReader& r, MarketSpec& s) {
  s.symbol = r.str(64);
  const auto mode = r.get<std::uint8_t>();
  const auto kind = r.get<std::uint8_t>();
  s.base = r.get<AssetId>();
  s.quote = r.get<AssetId>();
  s.underlying = r.str(64);
  s.price_scale = r.get<std::int32_t>();
  s.qty_scale = r.get<std::int32_t>();
  s.tick = r.get<Price>();
  s.lot = r.get<Qty>();
  s.min_qty = r.get<Qty>();
  s.maker_fee_bps = r.get<std::int32_t>();
  s.taker_fee_bps = r.get<std::int32_t>();
  s.expiry = r.get<Timestamp>();
  s.strike = r.get<Price>();
  s.is_call = r.get<std::uint8_t>() != 0;
  s.initial_margin_bps = r.get<std::int32_t>();
  s.maintenance_margin_bps = r.get<std::int32_t>();
  if (mode > 1 || kind > 3) return false;
  s.mode = static_cast<Mode>(mode);
  s.kind = static_cast<MarketKind>(kind);
  return r.ok();
}

namespace {

void put_body(Writer& w, const CommandBody& body) {
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, RegisterTrader>) {
          w.u8(static_cast<std::uint8_t>(Tag::RegisterTrader));
          w.str(c.name);
        } else if constexpr (std::is_same_v<T, CreateMarket>) {
          w.u8(static_cast<std::uint8_t>(Tag::CreateMarket));
          write_spec(w, c.spec);
        } else if constexpr (std::is_same_v<T, SetMarketStatus>) {
          w.u8(static_cast<std::uint8_t>(Tag::SetMarketStatus));
          w.put(c.market);
          w.u8(static_cast<std::uint8_t>(c.status));
        } else if constexpr (std::is_same_v<T, Deposit> || std::is_same_v<T, Withdraw>) {
          w.u8(
              static_cast<std::uint8_t>(std::is_same_v<T, Deposit> ? Tag::Deposit : Tag::Withdraw));
          w.u8(static_cast<std::uint8_t>(c.mode));
          w.put(c.trader);
          w.u8(c.asset);
          w.put(c.amount);
        } else if constexpr (std::is_same_v<T, PlaceOrder>) {
          w.u8(static_cast<std::uint8_t>(Tag::PlaceOrder));
          w.put(c.market);
          put_order(w, c.order);
          w.str(c.client_order_id);
        } else if constexpr (std::is_same_v<T, AmendOrder>) {
          w.u8(static_cast<std::uint8_t>(Tag::AmendOrder));
          w.u8(static_cast<std::uint8_t>(c.mode));
          w.put(c.market);
          w.put(c.amend.trader);
          w.put(c.amend.order_id);
          w.put(c.amend.client_id);
          w.put(c.amend.price);
          w.put(c.amend.qty);
          w.str(c.client_order_id);
        } else if constexpr (std::is_same_v<T, CancelOrder>) {
          w.u8(static_cast<std::uint8_t>(Tag::CancelOrder));
          w.u8(static_cast<std::uint8_t>(c.mode));
          w.put(c.trader);
          w.put(c.order_id);
          w.str(c.client_order_id);
        } else if constexpr (std::is_same_v<T, CancelAll>) {
          w.u8(static_cast<std::uint8_t>(Tag::CancelAll));
          w.u8(static_cast<std::uint8_t>(c.mode));
          w.put(c.trader);
          w.u8(c.market ? 1 : 0);
          w.put(c.market.value_or(0));
        } else if constexpr (std::is_same_v<T, PriceUpdate>) {
          w.u8(static_cast<std::uint8_t>(Tag::PriceUpdate));
          w.put(c.market);
          w.put(c.index);
          w.put(c.mark);
        } else if constexpr (std::is_same_v<T, ClockTick>) {
          w.u8(static_cast<std::uint8_t>(Tag::ClockTick));
        } else if constexpr (std::is_same_v<T, FundingSample>) {
          w.u8(static_cast<std::uint8_t>(Tag::FundingSample));
          w.put(c.market);
        } else if constexpr (std::is_same_v<T, FundingSettle>) {
          w.u8(static_cast<std::uint8_t>(Tag::FundingSettle));
          w.put(c.market);
        } else if constexpr (std::is_same_v<T, SettleMarket>) {
          w.u8(static_cast<std::uint8_t>(Tag::SettleMarket));
          w.put(c.market);
        } else if constexpr (std::is_same_v<T, Batch>) {
          w.u8(static_cast<std::uint8_t>(Tag::Batch));
          w.put(static_cast<std::uint16_t>(c.commands.size()));
          for (const Command& sub : c.commands) put_body(w, sub.body);
        }
      },
      body);
}

bool get_body(Reader& r, CommandBody& body, int depth) {
  const auto tag = static_cast<Tag>(r.get<std::uint8_t>());
  if (!r.ok()) return false;
  auto mode_of = [&](std::uint8_t m, Mode& out) {
    if (m > 1) return false;
    out = static_cast<Mode>(m);
    return true;
  };
  switch (tag) {
    case Tag::RegisterTrader:
      body = RegisterTrader{r.str(256)};
      return r.ok();
    case Tag::CreateMarket: {
      CreateMarket c;
      if (!read_spec(r, c.spec)) return false;
      body = std::move(c);
      return true;
    }
    case Tag::SetMarketStatus: {
      SetMarketStatus c;
      c.market = r.get<MarketId>();
      const auto st = r.get<std::uint8_t>();
      if (st > 3) return false;
      c.status = static_cast<MarketStatus>(st);
      body = c;
      return r.ok();
    }
    case Tag::Deposit:
    case Tag::Withdraw: {
      Deposit c;
      if (!mode_of(r.get<std::uint8_t>(), c.mode)) return false;
      c.trader = r.get<TraderId>();
      c.asset = r.get<AssetId>();
      c.amount = r.get<Amount>();
      if (tag == Tag::Deposit)
        body = c;
      else
        body = Withdraw{c.mode, c.trader, c.asset, c.amount};
      return r.ok();
    }
    // The commands of the hot path are built in place (no temporary to move into the variant).
    case Tag::PlaceOrder: {
      PlaceOrder& c = body.emplace<PlaceOrder>();
      c.market = r.get<MarketId>();
      if (!get_order(r, c.order)) return false;
      c.client_order_id = r.str();
      return r.ok();
    }
    case Tag::AmendOrder: {
      AmendOrder& c = body.emplace<AmendOrder>();
      if (!mode_of(r.get<std::uint8_t>(), c.mode)) return false;
      c.market = r.get<MarketId>();
      c.amend.trader = r.get<TraderId>();
      c.amend.order_id = r.get<OrderId>();
      c.amend.client_id = r.get<ClientOrderId>();
      c.amend.price = r.get<Price>();
      c.amend.qty = r.get<Qty>();
      c.client_order_id = r.str();
      return r.ok();
    }
    case Tag::CancelOrder: {
      CancelOrder& c = body.emplace<CancelOrder>();
      if (!mode_of(r.get<std::uint8_t>(), c.mode)) return false;
      c.trader = r.get<TraderId>();
      c.order_id = r.get<OrderId>();
      c.client_order_id = r.str();
      return r.ok();
    }
    case Tag::CancelAll: {
      CancelAll c;
      if (!mode_of(r.get<std::uint8_t>(), c.mode)) return false;
      c.trader = r.get<TraderId>();
      const bool has = r.get<std::uint8_t>() != 0;
      const auto m = r.get<MarketId>();
      if (has) c.market = m;
      body = c;
      return r.ok();
    }
    case Tag::PriceUpdate: {
      PriceUpdate c;
      c.market = r.get<MarketId>();
      c.index = r.get<Price>();
      c.mark = r.get<Price>();
      body = c;
      return r.ok();
    }
    case Tag::ClockTick:
      body = ClockTick{};
      return true;
    case Tag::FundingSample:
      body = FundingSample{r.get<MarketId>()};
      return r.ok();
    case Tag::FundingSettle:
      body = FundingSettle{r.get<MarketId>()};
      return r.ok();
    case Tag::SettleMarket:
      body = SettleMarket{r.get<MarketId>()};
      return r.ok();
    case Tag::Batch: {
      if (depth > 0) return false;
      Batch b;
      const auto n = r.get<std::uint16_t>();
      if (!r.ok()) return false;
      b.commands.resize(n);
      for (Command& sub : b.commands)
        if (!get_body(r, sub.body, depth + 1)) return false;
      body = std::move(b);
      return true;
    }
  }
  return false;
}

}  // namespace

void encode(const Command& cmd, std::vector<std::byte>& out) {
  Writer w{out};
  w.put(cmd.ts);
  put_body(w, cmd.body);
}

Result<Command> decode(SeqNo seq, std::span<const std::byte> payload) {
  Reader r{payload};
  Command c;
  c.seq = seq;
  c.ts = r.get<Timestamp>();
  if (!r.ok() || !get_body(r, c.body, 0) || r.remaining() != 0)
    return fail(ErrorCode::Corrupt,
                "journal record " + std::to_string(seq) + ": not a valid command payload");
  return c;
}

}  // namespace cx::engine
