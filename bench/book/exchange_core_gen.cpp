#include "book/exchange_core_gen.hpp"

#include <algorithm>

#include "harness/rng.hpp"

namespace cx::bench::book {

namespace {

using engine::EventBuffer;
using engine::EventType;
using engine::OrderBook;
using engine::Side;
using engine::TimeInForce;

/// The shadow's view of the live orders: a dense array to draw from uniformly, and each
/// order's position in it by pool slot so removal is O(1).
class LiveSet {
 public:
  struct Entry {
    OrderId id;
    TraderId trader;
    Side side;
  };

  std::size_t size() const noexcept { return v_.size(); }
  std::size_t count(Side s) const noexcept { return s == Side::Buy ? bids_ : v_.size() - bids_; }
  const Entry& operator[](std::size_t i) const noexcept { return v_[i]; }

  void add(const Entry& e) {
    const std::uint32_t slot = engine::slot_of(e.id);
    if (slot >= pos_.size()) pos_.resize(slot + std::size_t{1}, 0);
    v_.push_back(e);
    pos_[slot] = static_cast<std::uint32_t>(v_.size());
    if (e.side == Side::Buy) ++bids_;
  }
  void remove(OrderId id) noexcept {
    const std::uint32_t slot = engine::slot_of(id);
    if (slot >= pos_.size() || pos_[slot] == 0 || v_[pos_[slot] - 1].id != id) return;
    const std::size_t i = pos_[slot] - 1;
    if (v_[i].side == Side::Buy) --bids_;
    pos_[slot] = 0;
    if (i + 1 != v_.size()) {
      v_[i] = v_.back();
      pos_[engine::slot_of(v_[i].id)] = static_cast<std::uint32_t>(i + 1);
    }
    v_.pop_back();
  }

 private:
  std::vector<Entry> v_;
  std::vector<std::uint32_t> pos_;  ///< by slot: index + 1 in v_, 0 if absent
  std::size_t bids_ = 0;
};

class Generator {
 public:
  explicit Generator(const ExchangeCoreConfig& c)
      : c_(c),
        rng_(c.seed),
        book_(engine::BookSpec{}),
        last_trade_(c.center),
        min_price_(c.center - 5 * c.deviation),
        max_price_(c.center + 5 * c.deviation) {}

  ExchangeCoreWorkload run() {
    ExchangeCoreWorkload w;
    w.fill.reserve(2 * c_.target_orders);
    w.commands.reserve(c_.commands);
    // Fill: GTC orders on the thinner side until the book holds its target.
    while (live_.size() < c_.target_orders) {
      const Side side = live_.count(Side::Buy) <= live_.count(Side::Sell) ? Side::Buy : Side::Sell;
      w.fill.push_back(gtc(side, false));
      execute(w.fill.back());
    }
    double orders = 0, levels = 0;
    std::size_t samples = 0;
    for (std::size_t i = 0; i < c_.commands; ++i) {
      const Command cmd = next();
      w.commands.push_back(cmd);
      switch (cmd.kind) {
        case Command::Kind::Place:
          ++(cmd.tif == TimeInForce::GTC ? w.places_gtc : w.places_ioc);
          break;
        case Command::Kind::Move:
          ++w.moves;
          break;
        case Command::Kind::Cancel:
          ++w.cancels;
          break;
      }
      const Outcome r = execute(cmd);
      w.trading += r.traded;
      w.rejected += r.rejected;
      if (i % 256 == 0) {
        orders += static_cast<double>(book_.live_orders());
        levels += static_cast<double>(book_.level_count(Side::Buy) + book_.level_count(Side::Sell));
        ++samples;
      }
    }
    w.mean_orders = orders / static_cast<double>(samples);
    w.mean_levels = levels / static_cast<double>(samples);
    return w;
  }

 private:
  struct Outcome {
    bool traded = false;
    bool rejected = false;
  };

  /// exchange-core's size: 1 + a*b*c with a, b, c uniform over 0..5 (mean 16.6, often 1).
  Qty size() noexcept {
    return 1 + static_cast<Qty>(rng_.below(6) * rng_.below(6) * rng_.below(6));
  }

  /// A GTC order on the passive side of the last trade price: the distance is the mean of four
  /// uniform draws over a window whose width is itself skewed small (exchange-core's shape), so
  /// most orders sit near the price and a few far away. If `marketable`, a share of them is
  /// priced at the opposite touch instead and trades on arrival.
  Command gtc(Side side, bool marketable) noexcept {
    const double u = rng_.unit();
    const auto dev = 1 + static_cast<std::int64_t>(u * u * static_cast<double>(c_.deviation));
    std::int64_t p = 0;
    for (int k = 0; k < 4; ++k)
      p += static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(dev)));
    p = p / 4 * 2 - dev;
    if ((p > 0) != (side == Side::Sell)) p = -p;  // bids at or below, asks at or above
    Command cmd;
    cmd.kind = Command::Kind::Place;
    cmd.side = side;
    cmd.tif = TimeInForce::GTC;
    cmd.trader = trader();
    cmd.price = std::clamp(last_trade_ + p, Price{1}, 2 * c_.center);
    cmd.qty = size();
    if (marketable && rng_.unit() < c_.marketable_gtc) {
      const auto touch = side == Side::Buy ? book_.best_ask() : book_.best_bid();
      if (touch) cmd.price = *touch;
    }
    return cmd;
  }

  TraderId trader() noexcept { return static_cast<TraderId>(1 + rng_.below(c_.traders)); }

  Side thinner_side_mostly() noexcept {
    const Side thin = live_.count(Side::Buy) <= live_.count(Side::Sell) ? Side::Buy : Side::Sell;
    return rng_.below(4) == 0 ? engine::opposite(thin) : thin;
  }

  Command next() noexcept {
    const std::uint64_t r = rng_.below(100);
    if (r < 15 || live_.size() == 0) {
      // GTC place or cancel: 9:6, tilted to hold the book at its target size. Every trade ends
      // at least one order, so a steady book needs more places than 9:6 (about 10.5:4.5).
      const double lack =
          (static_cast<double>(c_.target_orders) - static_cast<double>(live_.size())) /
          static_cast<double>(c_.target_orders);
      const double p_place = std::clamp(0.6 + 10.0 * lack, 0.05, 1.0);
      if (live_.size() == 0 || rng_.unit() < p_place) return gtc(thinner_side_mostly(), true);
      const LiveSet::Entry& e = live_[rng_.below(live_.size())];
      Command cmd;
      cmd.kind = Command::Kind::Cancel;
      cmd.trader = e.trader;
      cmd.id = e.id;
      return cmd;
    }
    if (r < 18) {
      // IOC that may sweep the whole price band.
      Command cmd;
      cmd.kind = Command::Kind::Place;
      cmd.side = rng_.below(2) == 0 ? Side::Buy : Side::Sell;
      cmd.tif = TimeInForce::IOC;
      cmd.trader = trader();
      cmd.price = cmd.side == Side::Buy ? max_price_ : min_price_;
      cmd.qty = size();
      return cmd;
    }
    // Move: one percent of the way to the last trade price, at least one tick.
    const LiveSet::Entry& e = live_[rng_.below(live_.size())];
    const Price prev = book_.find(e.id)->price;
    const Price d = last_trade_ - prev;
    Price step;
    if (d == 0)
      step = rng_.below(2) == 0 ? -1 : 1;
    else
      step = d > 0 ? (d + 99) / 100 : -((-d + 99) / 100);
    Command cmd;
    cmd.kind = Command::Kind::Move;
    cmd.trader = e.trader;
    cmd.id = e.id;
    cmd.price = std::max(prev + step, Price{1});
    return cmd;
  }

  Outcome execute(const Command& cmd) {
    out_.clear();
    apply(book_, cmd, now_++, out_);
    Outcome r;
    OrderId own = cmd.id;
    for (const engine::Event& e : out_) {
      switch (e.type) {
        case EventType::Accepted:
          own = e.order_id;
          break;
        case EventType::Rejected:
          r.rejected = true;
          break;
        case EventType::Fill:
          r.traded = true;
          last_trade_ = std::clamp(e.price, min_price_, max_price_);
          if (e.maker_remaining == 0) live_.remove(e.maker_id);
          break;
        case EventType::Cancelled:
        case EventType::Expired:
          live_.remove(e.order_id);
          break;
        default:
          break;
      }
    }
    // The command's own order: a new one that rests joins; a moved one that filled leaves.
    if (own != 0) {
      const engine::Order* o = book_.find(own);
      if (cmd.kind == Command::Kind::Place && o)
        live_.add({own, cmd.trader, cmd.side});
      else if (cmd.kind == Command::Kind::Move && !o)
        live_.remove(own);
    }
    return r;
  }

  const ExchangeCoreConfig c_;
  Rng rng_;
  OrderBook book_;
  EventBuffer out_;
  LiveSet live_;
  Price last_trade_;
  const Price min_price_, max_price_;
  Timestamp now_ = 0;
};

}  // namespace

ExchangeCoreWorkload generate_exchange_core(const ExchangeCoreConfig& config) {
  return Generator(config).run();
}

}  // namespace cx::bench::book
