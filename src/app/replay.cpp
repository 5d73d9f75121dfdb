#include "app/replay.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/decimal.hpp"

namespace cx::app {

namespace json = boost::json;
using namespace cx::engine;

namespace {

constexpr std::array<Mode, kModeCount> kModeOrder{Mode::Real, Mode::Paper};

bool blank(std::string_view line) noexcept {
  return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string amount_text(AssetId a, Amount v) {
  return format_decimal(v, kAssets[a].scale);
}

json::array balances(const Exchange& ex) {
  json::array out;
  for (Mode mode : kModeOrder) {
    for (TraderId t = 0; t < ex.trader_count(); ++t) {
      const Account& acct = ex.account(mode, t);
      for (std::size_t a = 0; a < kAssetCount; ++a) {
        const Balance& b = acct.assets[a];
        if (b.balance == 0 && b.pending == 0) continue;
        const auto asset = static_cast<AssetId>(a);
        out.push_back(json::object{{"mode", to_string(mode)},
                                   {"trader", ex.trader_name(t)},
                                   {"asset", kAssets[a].symbol},
                                   {"balance", amount_text(asset, b.balance)},
                                   {"pending", amount_text(asset, b.pending)}});
      }
    }
  }
  return out;
}

json::array positions(const Exchange& ex) {
  json::array out;
  for (Mode mode : kModeOrder) {
    for (TraderId t = 0; t < ex.trader_count(); ++t) {
      for (const Position& p : ex.account(mode, t).positions) {
        if (p.size == 0 && p.cost == 0 && p.realized == 0 && p.funding == 0) continue;
        const Market& m = ex.market(p.market);
        const AssetId q = m.spec.quote;
        out.push_back(json::object{{"mode", to_string(mode)},
                                   {"trader", ex.trader_name(t)},
                                   {"market", m.spec.symbol},
                                   {"size", format_decimal(p.size, m.spec.qty_scale)},
                                   {"cost", amount_text(q, p.cost)},
                                   {"realizedPnl", amount_text(q, p.realized)},
                                   {"funding", amount_text(q, p.funding)}});
      }
    }
  }
  return out;
}

json::array open_orders(const Exchange& ex) {
  struct Row {
    Mode mode;
    TraderId trader;
    json::object obj;
  };
  std::vector<Row> rows;
  ex.for_each_open_order([&](const Market& m, const Order& o) {
    const int ps = m.spec.price_scale;
    const int qs = m.spec.qty_scale;
    json::object obj{{"mode", to_string(m.spec.mode)},
                     {"trader", ex.trader_name(o.trader)},
                     {"clientOrderId", ex.client_order_id_of(o.id)},
                     {"market", m.spec.symbol},
                     {"side", to_string(o.side)},
                     {"price", format_decimal(o.price, ps)},
                     {"remainingQty", format_decimal(o.remaining, qs)},
                     {"orderId", std::to_string(o.id)},
                     {"qty", format_decimal(o.qty, qs)},
                     {"type", to_string(o.type)},
                     {"timeInForce", to_string(o.tif)},
                     {"status", o.pending_trigger() ? "PENDING_TRIGGER" : "RESTING"}};
    if (o.pending_trigger()) obj["triggerPrice"] = format_decimal(o.trigger(), ps);
    if (o.tif == TimeInForce::GTT) obj["expireAt"] = o.expire_at;
    rows.push_back(Row{m.spec.mode, o.trader, std::move(obj)});
  });
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.mode != b.mode ? a.mode < b.mode : a.trader < b.trader;
  });
  json::array out;
  for (Row& r : rows) out.push_back(std::move(r.obj));
  return out;
}

json::array points(const Exchange& ex) {
  json::array out;
  for (TraderId t = 0; t < ex.trader_count(); ++t)
    out.push_back(
        json::object{{"trader", ex.trader_name(t)}, {"points", ex.points(Mode::Paper, t)}});
  return out;
}

json::array fees(const Exchange& ex) {
  json::array out;
  for (Mode mode : kModeOrder) {
    const SystemAccounts& s = ex.system(mode);
    for (std::size_t a = 0; a < kAssetCount; ++a) {
      if (s.fees[a] == 0) continue;
      out.push_back(json::object{{"mode", to_string(mode)},
                                 {"asset", kAssets[a].symbol},
                                 {"amount", amount_text(static_cast<AssetId>(a), s.fees[a])}});
    }
  }
  return out;
}

json::array markets(const Exchange& ex) {
  json::array out;
  for (MarketId id = 0; id < ex.market_count(); ++id) {
    const Market& m = ex.market(id);
    const int ps = m.spec.price_scale;
    json::object obj{{"mode", to_string(m.spec.mode)},       {"market", m.spec.symbol},
                     {"kind", to_string(m.spec.kind)},       {"status", to_string(m.status)},
                     {"index", format_decimal(m.index, ps)}, {"mark", format_decimal(m.mark, ps)}};
    if (m.spec.kind != MarketKind::Spot)
      obj["openInterest"] = format_decimal(m.stats.open_interest, m.spec.qty_scale);
    out.push_back(std::move(obj));
  }
  return out;
}

}  // namespace

json::object state_json(const Exchange& ex) {
  const AuditReport report = ex.audit();
  json::array problems;
  for (const std::string& p : report.problems) problems.emplace_back(p);
  return json::object{{"balances", balances(ex)},
                      {"positions", positions(ex)},
                      {"openOrders", open_orders(ex)},
                      {"points", points(ex)},
                      {"fees", fees(ex)},
                      {"markets", markets(ex)},
                      {"audit", json::object{{"ok", report.ok()}, {"problems", problems}}}};
}

// ---------------------------------------------------------------- Replayer

Replayer::Replayer(std::ostream& out, std::ostream& err, journal::DurableExchange* durable)
    : out_(out), err_(err), durable_(durable) {
  if (durable_) seq_ = durable_->last_seq();
}

void Replayer::feed(std::string_view line, std::size_t lineno) {
  if (blank(line)) return;
  auto decoded = decode_command(line, exchange());
  if (!decoded) return error(lineno, decoded.error().message);
  DecodedCommand& d = *decoded;
  const CommandContext registration{std::nullopt, "", true};
  for (std::string& name : d.new_traders) {
    const TraderId expect = static_cast<TraderId>(exchange().trader_count());
    apply(Command{seq_ + 1, d.ts, RegisterTrader{name}}, registration, lineno);
    if (exchange().trader_id(name) != expect) {
      // The codec resolved the command's ids assuming this one; it cannot be applied.
      return error(lineno, "internal: trader \"" + name + "\" did not get id " +
                               std::to_string(expect) + "; command skipped");
    }
  }
  apply(Command{seq_ + 1, d.ts, std::move(d.body)}, d.context, lineno);
  if (durable_) {
    if (auto r = durable_->commit(); !r) {
      // The state is ahead of the disk: nothing more may be applied.
      err_ << "replay: journal commit failed: " << r.error().message << "\n";
      std::exit(3);
    }
  }
}

void Replayer::apply(Command cmd, const CommandContext& ctx, std::size_t lineno) {
  events_.clear();
  if (durable_) {
    auto seq = durable_->submit(std::move(cmd), events_);
    if (!seq) {
      err_ << "replay: journal append failed: " << seq.error().message << "\n";
      std::exit(3);
    }
    seq_ = *seq;
  } else {
    seq_ = cmd.seq;
    ex_.apply(cmd, events_);
  }
  for (const ExEvent& e : events_) {
    json::object o = encode_event(e, exchange(), ctx, seq_);
    o["line"] = lineno;
    out_ << json::serialize(o) << '\n';
  }
}

void Replayer::error(std::size_t lineno, std::string_view message) {
  ++bad_lines_;
  out_ << json::serialize(json::object{{"event", "error"}, {"line", lineno}, {"message", message}})
       << '\n';
  err_ << "replay: line " << lineno << ": " << message << " (skipped)\n";
}

void Replayer::write_state() {
  out_ << json::serialize(state_json(exchange())) << '\n';
}

std::size_t replay(std::istream& in, std::ostream& out, std::ostream& err, bool with_state,
                   journal::DurableExchange* durable) {
  Replayer r(out, err, durable);
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) r.feed(line, ++lineno);
  if (with_state) r.write_state();
  out.flush();
  return r.bad_lines();
}

int run_replay(std::span<const std::string_view> args) {
  static constexpr std::string_view kUsage =
      "usage: cxmpute replay [FILE] [--state] [--data DIR]\n"
      "  reads JSON command lines from FILE (or stdin, or FILE \"-\"), prints events as\n"
      "  JSON lines; --state adds a final line with balances, positions, orders and\n"
      "  the audit; --data journals the commands into the data directory DIR, continuing\n"
      "  the state it holds (docs/replay.md)\n";
  auto usage = [] {
    std::cerr << kUsage;
    return 2;
  };
  bool with_state = false;
  std::optional<std::string_view> path;
  std::optional<std::string> data;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--data") {
      if (i + 1 >= args.size() || data) return usage();
      data = std::string(args[++i]);
    } else if (a == "--state")
      with_state = true;
    else if (a.size() > 1 && a.starts_with('-'))
      return usage();
    else if (path)
      return usage();
    else
      path = a;
  }
  std::ios::sync_with_stdio(false);
  std::unique_ptr<journal::DurableExchange> durable;
  if (data) {
    auto d = journal::DurableExchange::open(*data, journal::DurableOptions{});
    if (!d) {
      std::cerr << "replay: cannot open data directory " << *data << ": " << d.error().message
                << "\n";
      return 1;
    }
    durable = std::move(*d);
  }
  if (!path || *path == "-") {
    replay(std::cin, std::cout, std::cerr, with_state, durable.get());
    return 0;
  }
  const std::string file(*path);
  std::error_code ec;
  std::ifstream in;
  if (!std::filesystem::is_directory(file, ec)) in.open(file);
  if (!in.is_open()) {
    std::cerr << "replay: cannot open " << file << "\n";
    return 1;
  }
  replay(in, std::cout, std::cerr, with_state, durable.get());
  return 0;
}

}  // namespace cx::app
