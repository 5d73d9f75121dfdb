#include "api/ws_hub.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

#include "core/decimal.hpp"
#include "engine/asset.hpp"
#include "journal/crc32c.hpp"

namespace cx::api {

namespace json = boost::json;
using engine::EventType;
using engine::Mode;

namespace {

/// The trader channel's message type for a JSON event kind (docs/websocket.md).
std::string_view trader_message_type(std::string_view kind) {
  if (kind == "fill") return "fill";
  if (kind == "deposited" || kind == "withdrawn") return "transfer";
  if (kind == "funding") return "funding";
  if (kind == "settlement" || kind == "settlementHaircut") return "settlement";
  if (kind == "liquidation" || kind == "liquidationPenalty" || kind == "insurancePaid" ||
      kind == "insuranceShortfall" || kind == "autoDeleveraged" || kind == "profitRealized")
    return "risk";
  return "order";
}

constexpr std::size_t kChecksumLevels = 10;
constexpr Timestamp kSummaryEveryMs = 1000;

std::string_view mode_text(Mode m) {
  return m == Mode::Real ? "REAL" : "PAPER";
}

std::string error_text(std::string_view code, std::string_view message, const std::string& id) {
  json::object o{{"type", "error"}, {"code", code}, {"message", message}};
  if (!id.empty()) o["id"] = id;
  return json::serialize(o);
}

std::string str_of(const json::value* v) {
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  return {};
}

}  // namespace

std::optional<Channel> parse_channel(std::string_view text) {
  Channel c;
  std::string_view rest;
  if (text.starts_with("market.")) {
    c.kind = Channel::Kind::Market;
    rest = text.substr(7);
  } else if (text.starts_with("trader.")) {
    c.kind = Channel::Kind::Trader;
    rest = text.substr(7);
  } else {
    return std::nullopt;
  }
  const auto dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const std::string_view mode = rest.substr(dot + 1);
  if (mode == "REAL") {
    c.mode = Mode::Real;
  } else if (mode == "PAPER") {
    c.mode = Mode::Paper;
  } else {
    return std::nullopt;
  }
  c.name = std::string(rest.substr(0, dot));
  if (c.name.size() > 128) return std::nullopt;
  return c;
}

WsHub::WsHub(EngineService& engine, std::size_t depth_levels,
             std::chrono::milliseconds flush_interval)
    : engine_(engine), depth_levels_(depth_levels), flush_interval_(flush_interval) {}

std::uint32_t WsHub::checksum(std::string_view text) {
  return journal::crc32c(std::as_bytes(std::span(text.data(), text.size())));
}

WsHub::MarketFeed& WsHub::feed(MarketId id, const engine::Exchange& x) {
  while (markets_.size() <= id) markets_.push_back(nullptr);
  auto& slot = markets_[id];
  if (!slot) {
    slot = std::make_unique<MarketFeed>();
    const engine::Market& m = x.market(id);
    slot->channel = "market." + m.spec.symbol + "." + std::string(mode_text(m.spec.mode));
    slot->price_scale = m.spec.price_scale;
    slot->qty_scale = m.spec.qty_scale;
  }
  return *slot;
}

void WsHub::init(const engine::Exchange& x) {
  for (MarketId id = 0; id < x.market_count(); ++id) {
    MarketFeed& f = feed(id, x);
    const engine::OrderBook& book = *x.market(id).book;
    for (const auto& lv : book.depth(engine::Side::Buy, book.level_count(engine::Side::Buy))) {
      f.depth.bids[lv.price] = {lv.qty, lv.count};
    }
    for (const auto& lv : book.depth(engine::Side::Sell, book.level_count(engine::Side::Sell))) {
      f.depth.asks[lv.price] = {lv.qty, lv.count};
    }
  }
}

std::uint32_t WsHub::top_checksum(const MarketFeed& f) const {
  // "bidPrice:bidQty:askPrice:askQty:..." over the best 10 levels, bids and asks interleaved,
  // decimals at the market's scales; a missing side's entries are skipped.
  std::string s;
  auto b = f.depth.bids.begin();
  auto a = f.depth.asks.begin();
  for (std::size_t i = 0; i < kChecksumLevels; ++i) {
    if (b != f.depth.bids.end()) {
      if (!s.empty()) s += ':';
      s += format_decimal(b->first, f.price_scale) + ':' +
           format_decimal(b->second.first, f.qty_scale);
      ++b;
    }
    if (a != f.depth.asks.end()) {
      if (!s.empty()) s += ':';
      s += format_decimal(a->first, f.price_scale) + ':' +
           format_decimal(a->second.first, f.qty_scale);
      ++a;
    }
  }
  return checksum(s);
}

std::string WsHub::snapshot_text(const MarketFeed& f, std::size_t levels) const {
  json::array bids, asks;
  std::size_t n = 0;
  for (const auto& [p, qc] : f.depth.bids) {
    if (n++ == levels) break;
    bids.push_back(json::array{json::string(format_decimal(p, f.price_scale)),
                               json::string(format_decimal(qc.first, f.qty_scale))});
  }
  n = 0;
  for (const auto& [p, qc] : f.depth.asks) {
    if (n++ == levels) break;
    asks.push_back(json::array{json::string(format_decimal(p, f.price_scale)),
                               json::string(format_decimal(qc.first, f.qty_scale))});
  }
  json::object o{
      {"channel", f.channel},    {"type", "depthSnapshot"}, {"seq", f.seq},
      {"bids", std::move(bids)}, {"asks", std::move(asks)}, {"checksum", top_checksum(f)}};
  return json::serialize(o);
}

std::string WsHub::depth_json(MarketId market, std::size_t levels) const {
  if (market >= markets_.size() || !markets_[market]) return "{}";
  return snapshot_text(*markets_[market], levels);
}

void WsHub::handle_message(const net::WsSessionPtr& session, std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    session->send(error_text("MALFORMED", "a message is a JSON object", ""));
    return;
  }
  const json::object& o = v.as_object();
  const std::string id = str_of(o.if_contains("id"));
  const std::string op = str_of(o.if_contains("op"));
  if (op == "ping") {
    json::object pong{{"type", "pong"}};
    if (!id.empty()) pong["id"] = id;
    session->send(json::serialize(pong));
    return;
  }
  if (op != "subscribe" && op != "unsubscribe") {
    session->send(error_text("MALFORMED", "op must be subscribe, unsubscribe or ping", id));
    return;
  }
  std::vector<std::string> names;
  if (const json::value* c = o.if_contains("channel"); c && c->is_string()) {
    names.emplace_back(c->as_string());
  }
  if (const json::value* cs = o.if_contains("channels"); cs && cs->is_array()) {
    for (const json::value& c : cs->as_array()) {
      if (c.is_string()) names.emplace_back(c.as_string());
    }
  }
  if (names.empty() || names.size() > 50) {
    session->send(error_text("MALFORMED", "give channel (a string) or channels (1 to 50)", id));
    return;
  }
  auto who = session->context<WsPrincipal>();
  for (const std::string& name : names) {
    auto ch = parse_channel(name);
    if (!ch) {
      session->send(error_text(
          "MALFORMED",
          "unknown channel " + name + " (market.<SYMBOL>.<MODE> or trader.<id>.<MODE>)", id));
      continue;
    }
    if (op == "subscribe" && ch->kind == Channel::Kind::Trader &&
        (!who || who->user_id.empty() || who->user_id != ch->name)) {
      session->send(error_text("FORBIDDEN", "trader channels are only your own: " + name, id));
      continue;
    }
    std::weak_ptr<net::WsSession> weak = session;
    const bool queued = engine_.query(
        [this, weak, c = *ch, id, sub = op == "subscribe"](const engine::Exchange& x) {
          auto s = weak.lock();
          if (!s || !s->is_open()) return;
          if (sub) {
            subscribe(s, c, id, x);
          } else {
            unsubscribe(s, c, id);
          }
        });
    if (!queued) session->send(error_text("UNAVAILABLE", "server busy or stopping", id));
  }
}

void WsHub::subscribe(const net::WsSessionPtr& s, const Channel& ch, std::string id,
                      const engine::Exchange& x) {
  std::string name;
  json::object ack{{"type", "subscribed"}};
  if (ch.kind == Channel::Kind::Market) {
    const auto mid = x.market_id(ch.mode, ch.name);
    if (!mid) {
      s->send(error_text("NOT_FOUND",
                         "no market " + ch.name + " in " + std::string(mode_text(ch.mode)), id));
      return;
    }
    MarketFeed& f = feed(*mid, x);
    name = f.channel;
    // A repeated subscribe is acknowledged again with a fresh snapshot (a client that saw a
    // gap resubscribes this way).
    by_session_[s->id()].insert(name);
    ack["channel"] = name;
    if (!id.empty()) ack["id"] = id;
    s->send(json::serialize(ack));
    s->send(snapshot_text(f, depth_levels_));
    f.subs.add(s);
    return;
  }
  name = "trader." + ch.name + "." + std::string(mode_text(ch.mode));
  auto& tf = traders_[{ch.name, static_cast<int>(ch.mode)}];
  by_session_[s->id()].insert(name);
  ack["channel"] = name;
  if (!id.empty()) ack["id"] = id;
  s->send(json::serialize(ack));
  tf.subs.add(s);
  if (x.trader_id(ch.name)) send_account(ch.name, ch.mode, tf, x);
}

void WsHub::unsubscribe(const net::WsSessionPtr& s, const Channel& ch, std::string id) {
  const std::string name = (ch.kind == Channel::Kind::Market ? "market." : "trader.") + ch.name +
                           "." + std::string(mode_text(ch.mode));
  auto it = by_session_.find(s->id());
  if (it == by_session_.end() || it->second.erase(name) == 0) {
    s->send(error_text("NOT_FOUND", "not subscribed to " + name, id));
    return;
  }
  if (ch.kind == Channel::Kind::Market) {
    for (auto& f : markets_) {
      if (f && f->channel == name) f->subs.remove(s->id());
    }
  } else if (auto t = traders_.find({ch.name, static_cast<int>(ch.mode)}); t != traders_.end()) {
    t->second.subs.remove(s->id());
  }
  json::object ack{{"type", "unsubscribed"}, {"channel", name}};
  if (!id.empty()) ack["id"] = id;
  s->send(json::serialize(ack));
}

void WsHub::forget(std::uint64_t session_id) {
  (void)engine_.query([this, session_id](const engine::Exchange&) {
    auto it = by_session_.find(session_id);
    if (it == by_session_.end()) return;
    for (const std::string& name : it->second) {
      auto ch = parse_channel(name);
      if (!ch) continue;
      if (ch->kind == Channel::Kind::Market) {
        for (auto& f : markets_) {
          if (f && f->channel == name) f->subs.remove(session_id);
        }
      } else if (auto t = traders_.find({ch->name, static_cast<int>(ch->mode)});
                 t != traders_.end()) {
        t->second.subs.remove(session_id);
      }
    }
    by_session_.erase(it);
  });
}

void WsHub::on_command(const Committed& c, const engine::Exchange& x) {
  // Depth: apply the levels this command changed; increments go out at the next flush.
  for (const engine::ExEvent& e : c.raw) {
    if (e.type == EventType::MarketCreated) {
      feed(e.market, x);
      continue;
    }
    if (e.type != EventType::Depth) continue;
    MarketFeed& f = feed(e.market, x);
    const bool bid = e.side == engine::Side::Buy;
    if (bid) {
      if (e.qty == 0) {
        f.depth.bids.erase(e.price);
      } else {
        f.depth.bids[e.price] = {e.qty, e.count};
      }
    } else if (e.qty == 0) {
      f.depth.asks.erase(e.price);
    } else {
      f.depth.asks[e.price] = {e.qty, e.count};
    }
    f.changed.emplace_back(bid, e.price);
    f.touched = true;
  }

  // Trades, prices and the traders' own events.
  if (c.events == nullptr) return;
  // The JSON events of this command are the ones whose "seq" equals c.seq.
  for (const json::value& ev : *c.events) {
    const json::object& o = ev.as_object();
    const json::value* seq = o.if_contains("seq");
    if (seq == nullptr || !seq->is_number() || seq->to_number<std::uint64_t>() != c.seq) continue;
    const std::string kind = str_of(o.if_contains("event"));
    const std::string mode = str_of(o.if_contains("mode"));
    const std::string market = str_of(o.if_contains("market"));
    if ((kind == "fill" || kind == "price") && !market.empty()) {
      const auto m = x.market_id(mode == "REAL" ? Mode::Real : Mode::Paper, market);
      if (m) {
        MarketFeed& f = feed(*m, x);
        f.touched = true;
        if (kind == "fill") {
          if (!f.subs.empty()) {
            f.trades.push_back(json::object{{"price", o.at("price")},
                                            {"qty", o.at("qty")},
                                            {"takerSide", o.at("takerSide")},
                                            {"ts", c.ts},
                                            {"seq", c.seq}});
          }
        } else if (!f.subs.empty()) {
          f.subs.broadcast(json::serialize(json::object{{"channel", f.channel},
                                                        {"type", "price"},
                                                        {"ts", c.ts},
                                                        {"index", o.at("index")},
                                                        {"mark", o.at("mark")}}));
        }
      }
    }
    if (kind == "depth" || mode.empty()) continue;
    const int mode_key =
        mode == "REAL" ? static_cast<int>(Mode::Real) : static_cast<int>(Mode::Paper);
    auto route = [&](const std::string& trader) {
      if (trader.empty()) return;
      auto it = traders_.find({trader, mode_key});
      if (it == traders_.end()) return;
      it->second.touched = true;
      if (it->second.subs.empty()) return;
      json::object out{{"channel", "trader." + trader + "." + mode},
                       {"type", trader_message_type(kind)},
                       {"data", o}};
      it->second.subs.broadcast(json::serialize(out));
    };
    if (kind == "fill") {
      const std::string taker = str_of(o.if_contains("takerTrader"));
      const std::string maker = str_of(o.if_contains("makerTrader"));
      route(taker);
      if (maker != taker) route(maker);
    } else if (kind == "autoDeleveraged") {  // both sides of the forced trade hear of it
      route(str_of(o.if_contains("trader")));
      route(str_of(o.if_contains("liquidatedTrader")));
    } else {
      route(str_of(o.if_contains("trader")));
    }
  }
}

void WsHub::send_account(const std::string& trader, Mode mode, TraderFeed& tf,
                         const engine::Exchange& x) {
  const auto tid = x.trader_id(trader);
  if (!tid) return;
  const engine::Account& a = x.account(mode, *tid);
  json::array balances;
  for (engine::AssetId asset = 0; asset < engine::kAssetCount; ++asset) {
    const engine::Balance& b = a.assets[asset];
    if (b.balance == 0 && b.pending == 0) continue;
    const int scale = engine::kAssets[asset].scale;
    balances.push_back(json::object{{"asset", engine::kAssets[asset].symbol},
                                    {"balance", format_decimal(b.balance, scale)},
                                    {"pending", format_decimal(b.pending, scale)},
                                    {"available", format_decimal(b.balance - b.pending, scale)}});
  }
  json::array positions;
  for (const engine::Position& p : a.positions) {
    const engine::Market& m = x.market(p.market);
    const int qs = engine::kAssets[m.spec.quote].scale;
    positions.push_back(json::object{{"market", m.spec.symbol},
                                     {"size", format_decimal(p.size, m.spec.qty_scale)},
                                     {"cost", format_decimal(p.cost, qs)},
                                     {"realizedPnl", format_decimal(p.realized, qs)},
                                     {"funding", format_decimal(p.funding, qs)}});
  }
  const std::string channel = "trader." + trader + "." + std::string(mode_text(mode));
  tf.subs.broadcast(json::serialize(json::object{{"channel", channel},
                                                 {"type", "account"},
                                                 {"balances", std::move(balances)},
                                                 {"positions", std::move(positions)}}));
}

void WsHub::flush(bool force) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& fp : markets_) {
    if (!fp || (fp->changed.empty() && fp->trades.empty())) continue;
    MarketFeed& f = *fp;
    if (!force && now - f.last_flush < flush_interval_) continue;
    f.last_flush = now;
    // The increment and the trades go to each subscriber together (one wake of its writer).
    std::array<std::shared_ptr<const std::string>, 2> out;
    if (!f.changed.empty()) {
      // One increment: the final state of every level that changed, each once.
      std::sort(f.changed.begin(), f.changed.end());
      f.changed.erase(std::unique(f.changed.begin(), f.changed.end()), f.changed.end());
      ++f.seq;
      if (!f.subs.empty()) {
        json::array bids, asks;
        for (const auto& [bid, price] : f.changed) {
          Qty q = 0;
          if (bid) {
            if (auto it = f.depth.bids.find(price); it != f.depth.bids.end()) q = it->second.first;
          } else if (auto it = f.depth.asks.find(price); it != f.depth.asks.end()) {
            q = it->second.first;
          }
          (bid ? bids : asks)
              .push_back(json::array{json::string(format_decimal(price, f.price_scale)),
                                     json::string(format_decimal(q, f.qty_scale))});
        }
        // Best first, as in the snapshot.
        std::reverse(bids.begin(), bids.end());
        json::object o{
            {"channel", f.channel},       {"type", "depth"},         {"seq", f.seq},
            {"prevSeq", f.seq - 1},       {"bids", std::move(bids)}, {"asks", std::move(asks)},
            {"checksum", top_checksum(f)}};
        out[0] = std::make_shared<const std::string>(json::serialize(o));
      }
      f.changed.clear();
    }
    if (!f.trades.empty()) {
      if (!f.subs.empty()) {
        out[1] = std::make_shared<const std::string>(json::serialize(json::object{
            {"channel", f.channel}, {"type", "trades"}, {"trades", std::move(f.trades)}}));
      }
      f.trades = json::array{};
    }
    if (out[0] || out[1]) f.subs.broadcast(out);
  }
}

void WsHub::on_idle(const engine::Exchange&) {
  flush(false);
}

void WsHub::on_batch_end(const engine::Exchange& x) {
  flush(false);
  for (auto& [key, tf] : traders_) {
    if (!tf.touched) continue;
    tf.touched = false;
    if (!tf.subs.empty()) send_account(key.first, static_cast<Mode>(key.second), tf, x);
  }
  const Timestamp now = x.now();
  for (auto& fp : markets_) {
    if (!fp || !fp->touched) continue;
    MarketFeed& f = *fp;
    if (now - f.last_summary < kSummaryEveryMs) continue;
    f.touched = false;
    f.last_summary = now;
    if (f.subs.empty()) continue;
    const auto mid = x.market_id(fp->channel.ends_with(".REAL") ? Mode::Real : Mode::Paper,
                                 std::string_view(f.channel).substr(7, f.channel.rfind('.') - 7));
    if (!mid) continue;
    const engine::Market& m = x.market(*mid);
    const engine::StatWindow w = m.stats.rolling_24h(now);
    const int qs = engine::kAssets[m.spec.quote].scale;
    f.subs.broadcast(json::serialize(
        json::object{{"channel", f.channel},
                     {"type", "summary"},
                     {"ts", now},
                     {"volume24h", format_decimal(w.volume, qs)},
                     {"trades24h", w.trades},
                     {"index", format_decimal(m.index, m.spec.price_scale)},
                     {"mark", format_decimal(m.mark, m.spec.price_scale)},
                     {"openInterest", format_decimal(m.stats.open_interest, m.spec.qty_scale)}}));
  }
}

}  // namespace cx::api
