#include "app/demo.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "engine/order_book.hpp"

namespace cx::app {

namespace {

using namespace cx::engine;

constexpr int kPriceScale = 2;  // tick 0.01 USDC
constexpr int kQtyScale = 4;    // lot 0.0001 sBTC

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t p = line.find(sep, start);
    out.push_back(line.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

/// Parses "trader,side,type,price,qty,tif" into `o`; returns an error message or "".
std::string parse_line(std::string_view line, std::map<std::string, TraderId, std::less<>>& ids,
                       NewOrder& o) {
  auto f = split(line, ',');
  if (f.size() != 6) return "expected 6 fields: trader,side,type,price,qty,tif";
  auto [it, fresh] = ids.try_emplace(std::string(f[0]), static_cast<TraderId>(ids.size() + 1));
  (void)fresh;
  o = NewOrder{};
  o.trader = it->second;
  if (f[1] == "BUY")
    o.side = Side::Buy;
  else if (f[1] == "SELL")
    o.side = Side::Sell;
  else
    return "side must be BUY or SELL";
  if (f[2] == "LIMIT")
    o.type = OrderType::Limit;
  else if (f[2] == "MARKET")
    o.type = OrderType::Market;
  else
    return "type must be LIMIT or MARKET";
  auto price = parse_decimal(f[3], kPriceScale, Sign::PositiveOnly);
  if (!price) return "price: " + price.error().message;
  auto qty = parse_decimal(f[4], kQtyScale, Sign::PositiveOnly);
  if (!qty) return "qty: " + qty.error().message;
  o.price = *price;
  o.qty = *qty;
  if (f[5] == "GTC")
    o.tif = TimeInForce::GTC;
  else if (f[5] == "IOC")
    o.tif = TimeInForce::IOC;
  else if (f[5] == "FOK")
    o.tif = TimeInForce::FOK;
  else
    return "tif must be GTC, IOC or FOK";
  return "";
}

}  // namespace

int run_demo(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "demo: cannot read %s\n", path);
    return 1;
  }
  std::printf(
      "Cxmpute engine demo (the network server arrives in a later milestone):\n"
      "matching %s through one sBTC/USDC book, tick 0.01, lot 0.0001.\n\n",
      path);
  OrderBook book(BookSpec{1, 1, 1, 1});
  std::map<std::string, TraderId, std::less<>> ids;
  std::map<TraderId, std::string> names;
  EventBuffer ev;
  std::string line;
  int lineno = 0, trades = 0, rejected = 0;
  Timestamp now = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#' || line.starts_with("trader,")) continue;
    NewOrder o;
    if (std::string err = parse_line(line, ids, o); !err.empty()) {
      std::printf("line %d: skipped: %s\n", lineno, err.c_str());
      continue;
    }
    for (const auto& [name, id] : ids) names[id] = name;
    ev.clear();
    book.place(o, ++now, ev);
    for (const Event& e : ev) {
      if (e.type == EventType::Fill) {
        ++trades;
        std::printf(
            "TRADE %s %s @ %s  (taker %s, maker %s)\n", std::string(to_string(e.side)).c_str(),
            format_decimal(e.qty, kQtyScale).c_str(), format_decimal(e.price, kPriceScale).c_str(),
            names[e.trader].c_str(), names[e.maker_trader].c_str());
      } else if (e.type == EventType::Rejected) {
        ++rejected;
        std::printf("line %d: rejected: %s\n", lineno, std::string(to_string(e.reason)).c_str());
      } else if (e.type == EventType::Expired) {
        std::printf("line %d: %s unfilled %s expired (%s)\n", lineno, names[e.trader].c_str(),
                    format_decimal(e.qty, kQtyScale).c_str(),
                    std::string(to_string(e.reason)).c_str());
      }
    }
  }
  std::printf("\n%d trades, %d rejections. Book now:\n", trades, rejected);
  auto asks = book.depth(Side::Sell, 5);
  for (auto it = asks.rbegin(); it != asks.rend(); ++it)
    std::printf("  ask %12s  %10s  (%u orders)\n", format_decimal(it->price, kPriceScale).c_str(),
                format_decimal(it->qty, kQtyScale).c_str(), it->count);
  for (const auto& l : book.depth(Side::Buy, 5))
    std::printf("  bid %12s  %10s  (%u orders)\n", format_decimal(l.price, kPriceScale).c_str(),
                format_decimal(l.qty, kQtyScale).c_str(), l.count);
  return 0;
}

}  // namespace cx::app
