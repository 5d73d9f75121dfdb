// Differential test: random command streams run through the engine's OrderBook and through
// ReferenceBook (reference_book.hpp, written from docs/matching.md). After every command the two
// must have emitted identical events (every field, Depth events included) and hold the same
// book; the engine's own invariants are checked too. A failure names the seed and the command.
//
// Reproduce one stream: CX_DIFF_SEED=<seed> [CX_DIFF_COMMANDS=<n>] with --gtest_filter on its
// test. CX_SANITIZED=1 (the ASan run) runs a twentieth of the commands.

#include <gtest/gtest.h>

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/order_book.hpp"
#include "engine/reference_book.hpp"

namespace {

using namespace cx;
using namespace cx::engine;
using cx::engine::testing::ReferenceBook;
using cx::engine::testing::RefOrder;

// ------------------------------------------------------------------ randomness

/// splitmix64: the same stream on every compiler and standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(next() % span);
  }
  bool percent(int p) { return range(0, 99) < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(range(0, static_cast<std::int64_t>(v.size()) - 1))];
  }

 private:
  std::uint64_t s_;
};

// ------------------------------------------------------------------ printing

const char* event_name(EventType t) {
  switch (t) {
    case EventType::Accepted:
      return "Accepted";
    case EventType::Rejected:
      return "Rejected";
    case EventType::Fill:
      return "Fill";
    case EventType::Cancelled:
      return "Cancelled";
    case EventType::Expired:
      return "Expired";
    case EventType::Amended:
      return "Amended";
    case EventType::Triggered:
      return "Triggered";
    case EventType::Depth:
      return "Depth";
    default:
      return "(exchange)";  // the book never emits the exchange-level events
  }
}

[[gnu::format(printf, 1, 2)]] std::string format(const char* fmt, ...) {
  char buf[512];
  std::va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

std::string sv(std::string_view s) {
  return std::string(s);
}

std::string describe(const Event& e) {
  return format("%-9s %s %-24s mkt=%u trader=%u id=%#" PRIx64 " px=%" PRId64 " qty=%" PRId64
                " rem=%" PRId64 " maker=%#" PRIx64 "/%u mrem=%" PRId64 " count=%u",
                event_name(e.type), sv(to_string(e.side)).c_str(), sv(to_string(e.reason)).c_str(),
                e.market, e.trader, e.order_id, e.price, e.qty, e.remaining, e.maker_id,
                e.maker_trader, e.maker_remaining, e.count);
}

// Every field is compared, including the ones the book must leave at zero.
static_assert(sizeof(Event) == 72, "Event changed: add the new fields to same() below");

bool same(const Event& a, const Event& b) {
  return a.type == b.type && a.side == b.side && a.reason == b.reason && a.market == b.market &&
         a.trader == b.trader && a.order_id == b.order_id && a.price == b.price && a.qty == b.qty &&
         a.remaining == b.remaining && a.maker_id == b.maker_id &&
         a.maker_trader == b.maker_trader && a.count == b.count &&
         a.maker_remaining == b.maker_remaining && a.mode == b.mode && a.reserved == b.reserved;
}

// ------------------------------------------------------------------ commands

struct Command {
  enum Kind { Place, Cancel, CancelByClientId, CancelAll, Amend, Mark, Time } kind = Place;
  std::size_t market = 0;  ///< which book of the scenario
  Timestamp now = 0;
  NewOrder order;
  AmendRequest amend;
  TraderId trader = 0;
  OrderId id = 0;
  ClientOrderId cid = 0;
  Price mark = 0;
};

std::string describe(const RefOrder& o) {
  return format(
      "[%#" PRIx64 " t%u cid=%" PRIu64 " %s %s stp=%s%s %" PRId64 "/%" PRId64 " exp=%" PRId64 "]",
      o.id, o.trader, o.client_id, sv(to_string(o.type)).c_str(), sv(to_string(o.tif)).c_str(),
      sv(to_string(o.stp)).c_str(), o.post_only ? " post" : "", o.remaining, o.qty, o.expire_at);
}

std::string describe(const Command& c) {
  const std::string head = format("book %zu now=%" PRId64 " ", c.market, c.now);
  switch (c.kind) {
    case Command::Place: {
      const NewOrder& o = c.order;
      return head + format("place trader=%u cid=%" PRIu64 " %s %s %s trigger=%s@%" PRId64
                           " stp=%s post_only=%d reduce_only=%d px=%" PRId64 " qty=%" PRId64
                           " expire_at=%" PRId64,
                           o.trader, o.client_id, sv(to_string(o.side)).c_str(),
                           sv(to_string(o.type)).c_str(), sv(to_string(o.tif)).c_str(),
                           sv(to_string(o.trigger_kind)).c_str(), o.trigger,
                           sv(to_string(o.stp)).c_str(), o.post_only, o.reduce_only, o.price, o.qty,
                           o.expire_at);
    }
    case Command::Cancel:
      return head + format("cancel trader=%u id=%#" PRIx64, c.trader, c.id);
    case Command::CancelByClientId:
      return head + format("cancel_by_client_id trader=%u cid=%" PRIu64, c.trader, c.cid);
    case Command::CancelAll:
      return head + format("cancel_all trader=%u", c.trader);
    case Command::Amend:
      return head + format("amend trader=%u id=%#" PRIx64 " cid=%" PRIu64 " px=%" PRId64
                           " qty=%" PRId64,
                           c.amend.trader, c.amend.order_id, c.amend.client_id, c.amend.price,
                           c.amend.qty);
    case Command::Mark:
      return head + format("on_price %" PRId64, c.mark);
    case Command::Time:
      return head + "advance_time";
  }
  return head;
}

// ------------------------------------------------------------------ scenarios

struct Scenario {
  const char* name;
  std::uint64_t seed;
  BookSpec spec;
  std::size_t markets;   ///< more than 1: the books share one order pool (one id space)
  bool deep;             ///< a wide price band and fewer cancels: long ladders, long queues
  std::size_t commands;  ///< in the release build
};

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<std::size_t>(std::strtoull(v, nullptr, 0)) : fallback;
}

constexpr std::int64_t kMidTicks = 200;   ///< the price band's centre, in ticks
constexpr TraderId kTraders = 4;          ///< traders 0..3 place orders; 4 never does
constexpr ClientOrderId kClientIds = 12;  ///< small, so duplicates happen

class Driver {
 public:
  explicit Driver(const Scenario& sc) : sc_(sc), rng_(sc.seed) {
    if (sc.markets > 1) pool_ = std::make_unique<OrderBook::OrderPool>();
    for (std::size_t i = 0; i < sc.markets; ++i) {
      BookSpec spec = sc.spec;
      spec.market = sc.spec.market + static_cast<MarketId>(i);
      books_.push_back(std::make_unique<Book>(spec, pool_.get()));
      if (sc.deep) books_.back()->engine.reserve(1024, 128);  // pre-sized: same behaviour
    }
  }

  struct Failure {
    std::size_t index;  ///< of the failing command
    std::string report;
  };

  /// Runs the first `commands` commands of the stream; the first failure, or nothing.
  std::optional<Failure> run(std::size_t commands) {
    for (std::size_t i = 0; i < commands; ++i) {
      const Command c = next_command();
      if (auto failure = step(c)) return Failure{i, failure_report(i, c, *failure)};
    }
    return std::nullopt;
  }

  /// The reference's books: resting orders by level, then pending ones.
  std::string dump() const {
    std::string s;
    for (std::size_t m = 0; m < books_.size(); ++m) {
      const ReferenceBook& r = books_[m]->ref;
      s += format("  book %zu (mark %s):\n", m,
                  r.mark() ? std::to_string(*r.mark()).c_str() : "none");
      for (Side side : {Side::Buy, Side::Sell}) {
        for (const auto& [price, queue] : r.levels(side)) {
          s += format("    %-4s %6" PRId64 ":", sv(to_string(side)).c_str(), price);
          for (const RefOrder& o : queue) s += " " + describe(o);
          s += "\n";
        }
      }
      for (const RefOrder& o : r.pending())
        s += format("    pending %s %s@%" PRId64 ": ", sv(to_string(o.side)).c_str(),
                    sv(to_string(o.trigger_kind)).c_str(), o.trigger) +
             describe(o) + "\n";
    }
    return s;
  }

  /// How often each (event type, reason) came out of the engine.
  const std::map<std::pair<EventType, Reason>, std::size_t>& seen() const { return seen_; }
  std::size_t max_live() const { return max_live_; }
  double mean_live() const { return mean(live_sum_); }
  double mean_levels() const { return mean(level_sum_); }

 private:
  double mean(std::size_t sum) const {
    return checks_ ? static_cast<double>(sum) / static_cast<double>(checks_) : 0.0;
  }

  struct Book {
    Book(BookSpec spec, OrderBook::OrderPool* pool) : engine(spec, pool), ref(spec) {}
    OrderBook engine;
    ReferenceBook ref;
    /// (order id, when it joined its level's queue) of every resting order after the last
    /// command, sorted by id: the time priority the next command's fills must respect.
    std::vector<std::pair<OrderId, std::uint64_t>> queued;
  };

  // ---- generation ----

  Price tick() const { return sc_.spec.tick; }
  Price ticks(std::int64_t n) const { return n * tick(); }
  Qty min_lots() const {
    return std::max<Qty>(1, (sc_.spec.min_qty + sc_.spec.lot - 1) / sc_.spec.lot);
  }
  TraderId trader() { return static_cast<TraderId>(rng_.range(0, kTraders - 1)); }
  Price mark_or_mid(const Book& b) const { return b.ref.mark().value_or(ticks(kMidTicks)); }

  Command next_command() {
    Command c;
    now_ += rng_.range(0, 3);
    c.market =
        static_cast<std::size_t>(rng_.range(0, static_cast<std::int64_t>(books_.size()) - 1));
    std::int64_t roll = rng_.range(0, 99);
    if (sc_.deep && roll >= 52 && roll < 67 && rng_.percent(50)) roll = 0;  // place, not cancel
    if (roll < 52) {
      c.kind = Command::Place;
      c.order = random_order(*books_[c.market]);
    } else if (roll < 61) {
      c.kind = Command::Cancel;
      std::tie(c.trader, c.id) = random_target(c.market);
    } else if (roll < 65) {
      c.kind = Command::CancelByClientId;
      c.trader = trader();
      c.cid = static_cast<ClientOrderId>(rng_.range(0, kClientIds));
    } else if (roll < 67 && rng_.percent(25)) {  // rare: it empties a quarter of the book
      c.kind = Command::CancelAll;
      c.trader = static_cast<TraderId>(rng_.range(0, kTraders));
    } else if (roll < 85) {
      c.kind = Command::Amend;
      c.amend = random_amend(c.market);
    } else if (roll < 95 && now_ >= first_mark_at_) {  // triggers pile up before the first mark
      c.kind = Command::Mark;
      c.mark = next_mark(*books_[c.market]);
    } else {
      c.kind = Command::Time;
      now_ += rng_.range(1, 120);
    }
    c.now = now_;
    return c;
  }

  /// A random walk around the band's centre, with the odd jump.
  Price next_mark(const Book& b) {
    const std::optional<Price> last = b.ref.mark();
    const std::int64_t band = sc_.deep ? 20 : 10;
    if (!last || rng_.percent(5)) return ticks(kMidTicks + rng_.range(2 - band, band - 2));
    return std::clamp(*last + ticks(rng_.range(-3, 3)), ticks(kMidTicks - band),
                      ticks(kMidTicks + band));
  }

  NewOrder random_order(const Book& b) {
    NewOrder o;
    o.trader = trader();
    o.side = rng_.percent(50) ? Side::Buy : Side::Sell;
    const std::int64_t dir = o.side == Side::Buy ? 1 : -1;
    o.type = rng_.percent(15) ? OrderType::Market : OrderType::Limit;
    if (o.type == OrderType::Limit) {
      const std::int64_t r = rng_.range(0, 99);
      o.tif = r < 45   ? TimeInForce::GTC
              : r < 75 ? TimeInForce::GTT
              : r < 88 ? TimeInForce::IOC
                       : TimeInForce::FOK;
      // Buys mostly below the centre, sells above, overlapping so that orders cross often; a
      // narrow band most of the time, so that levels hold queues of several orders.
      const std::int64_t offset = sc_.deep           ? rng_.range(-20, 2)
                                  : rng_.percent(70) ? rng_.range(-3, 1)
                                                     : rng_.range(-6, 3);
      o.price = ticks(kMidTicks + dir * offset);
    } else {
      const std::int64_t r = rng_.range(0, 99);
      o.tif = r < 46   ? TimeInForce::IOC
              : r < 92 ? TimeInForce::FOK
              : r < 96 ? TimeInForce::GTC
                       : TimeInForce::GTT;
      o.price = ticks(kMidTicks + dir * rng_.range(-2, sc_.deep ? 25 : 10));  // protection
    }
    if (rng_.percent(14)) {
      o.trigger_kind = rng_.percent(50) ? TriggerKind::Stop : TriggerKind::TakeProfit;
      o.trigger = mark_or_mid(b) + ticks(rng_.range(-6, 6));
    } else if (rng_.percent(5)) {
      o.trigger = ticks(rng_.range(-3, 300));  // ignored without a trigger kind
    }
    const bool may_post = o.type == OrderType::Limit && o.trigger_kind == TriggerKind::None &&
                          (o.tif == TimeInForce::GTC || o.tif == TimeInForce::GTT);
    o.post_only = rng_.percent(may_post ? 15 : 2);
    o.stp = static_cast<SelfTradePrevention>(rng_.range(0, 3));
    o.reduce_only = rng_.percent(10);
    o.client_id = rng_.percent(45) ? 0 : static_cast<ClientOrderId>(rng_.range(1, kClientIds));
    o.qty = sc_.spec.lot * rng_.range(min_lots(), min_lots() + 6);
    if (o.tif == TimeInForce::GTT)
      o.expire_at = now_ + (rng_.percent(80) ? rng_.range(1, 1500) : rng_.range(1, 20));
    else if (rng_.percent(30))
      o.expire_at = now_ + rng_.range(-10, 10);  // ignored unless GTT
    if (rng_.percent(7)) break_order(o);
    return o;
  }

  /// Makes one field of `o` invalid (or at a boundary).
  void break_order(NewOrder& o) {
    switch (rng_.range(0, 11)) {
      case 0:
        o.qty = 0;
        break;
      case 1:
        o.qty = -sc_.spec.lot * rng_.range(1, 3);
        break;
      case 2:  // off the lot, unless the lot is 1
        o.qty += rng_.range(1, sc_.spec.lot);
        break;
      case 3:
        o.qty = sc_.spec.min_qty - sc_.spec.lot;
        break;
      case 4:
        o.price = 0;
        break;
      case 5:
        o.price = -ticks(rng_.range(1, 3));
        break;
      case 6:
        o.price += rng_.range(1, tick());
        break;
      case 7:
        o.trigger_kind = TriggerKind::Stop;
        o.trigger = -ticks(rng_.range(0, 2));
        break;
      case 8:
        o.trigger_kind = TriggerKind::TakeProfit;
        o.trigger += rng_.range(1, tick());
        break;
      case 9:
        o.tif = TimeInForce::GTT;
        o.expire_at = now_ - rng_.range(0, 5);
        break;
      case 10:
        o.post_only = true;
        break;
      default:
        o.type = OrderType::Market;
        o.tif = TimeInForce::GTC;
        break;
    }
  }

  /// A (trader, order id) to cancel: mostly a live order of its owner, else a foreign, stale,
  /// other-book or made-up id.
  std::pair<TraderId, OrderId> random_target(std::size_t market) {
    const std::vector<RefOrder> live = books_[market]->ref.live();
    const std::int64_t r = rng_.range(0, 99);
    if (r < 65 && !live.empty()) {
      const RefOrder& o = rng_.pick(live);
      return {rng_.percent(85) ? o.trader : trader(), o.id};
    }
    if (r < 85 && !history_.empty()) return {trader(), rng_.pick(history_)};
    if (r < 92 && books_.size() > 1) {
      const std::vector<RefOrder> other = books_[(market + 1) % books_.size()]->ref.live();
      if (!other.empty()) {
        const RefOrder& o = rng_.pick(other);
        return {o.trader, o.id};
      }
    }
    switch (rng_.range(0, 2)) {
      case 0:
        return {trader(), 0};
      case 1:
        return {trader(), rng_.next()};
      default:
        return {trader(), make_order_id(static_cast<std::uint32_t>(rng_.range(0, 64)),
                                        static_cast<std::uint32_t>(rng_.range(0, 3)))};
    }
  }

  AmendRequest random_amend(std::size_t market) {
    AmendRequest a;
    const Book& b = *books_[market];
    std::vector<RefOrder> resting;
    for (Side s : {Side::Buy, Side::Sell})
      for (const auto& [price, queue] : b.ref.levels(s))
        resting.insert(resting.end(), queue.begin(), queue.end());
    std::optional<RefOrder> target;
    const std::int64_t r = rng_.range(0, 99);
    if (r < 75 && !resting.empty())
      target = rng_.pick(resting);
    else if (r < 85 && !b.ref.pending().empty())
      target = rng_.pick(b.ref.pending());
    if (target) {
      a.trader = rng_.percent(92) ? target->trader : trader();
      if (target->client_id != 0 && rng_.percent(25)) {
        a.client_id = target->client_id;  // by client id (order_id stays 0)
      } else {
        a.order_id = target->id;
        if (rng_.percent(10))  // ignored when order_id is given
          a.client_id = static_cast<ClientOrderId>(rng_.range(0, kClientIds));
      }
    } else {
      std::tie(a.trader, a.order_id) = random_target(market);
      if (rng_.percent(30)) {
        a.order_id = 0;
        a.client_id = static_cast<ClientOrderId>(rng_.range(0, kClientIds));
      }
    }
    const Price old_price = target ? target->price : ticks(kMidTicks);
    const Qty old_qty = target ? target->qty : sc_.spec.lot * min_lots();
    const Qty filled = target ? target->qty - target->remaining : 0;
    const std::int64_t p = rng_.range(0, 99);
    if (p < 35)
      a.price = 0;  // keep
    else if (p < 45)
      a.price = old_price;
    else if (p < 92)
      a.price = old_price + ticks(rng_.range(-4, 4));
    else if (p < 96)
      a.price = -ticks(rng_.range(1, 2));
    else
      a.price = old_price + rng_.range(1, tick());
    const std::int64_t q = rng_.range(0, 99);
    const Qty lot = sc_.spec.lot;
    if (q < 30)
      a.qty = 0;  // keep
    else if (q < 60)
      a.qty = std::max(filled + lot, old_qty - lot * rng_.range(0, 4));
    else if (q < 85)
      a.qty = old_qty + lot * rng_.range(1, 4);
    else if (q < 90)
      a.qty = filled;  // not above what has filled
    else if (q < 94)
      a.qty = -lot;
    else if (q < 97)
      a.qty = old_qty + rng_.range(1, lot);
    else
      a.qty = sc_.spec.min_qty - lot;
    return a;
  }

  // ---- one command on both books ----

  std::optional<std::string> step(const Command& c) {
    Book& b = *books_[c.market];
    eng_.clear();
    ref_.clear();
    std::string result;
    switch (c.kind) {
      case Command::Place: {
        const Reason checked = b.engine.check(c.order, c.now);
        const OrderId id = b.engine.place(c.order, c.now, eng_);
        const OrderId rid = b.ref.place(c.order, id, c.now, ref_);
        if (id != 0) {
          if (!ids_.insert(id).second) result = format("id %#" PRIx64 " was given twice", id);
          history_.push_back(id);
        }
        if (id != rid)
          result = format("place returned %#" PRIx64 ", reference accepted: %d", id, rid != 0);
        // check() is place()'s verdict, unless GTT expiries at the start of place() changed it.
        if (!eng_.empty() && eng_.front().type != EventType::Expired) {
          const Reason placed =
              eng_.front().type == EventType::Rejected ? eng_.front().reason : Reason::None;
          if (checked != placed)
            result = format("check() said %s, place() %s", sv(to_string(checked)).c_str(),
                            sv(to_string(placed)).c_str());
        }
        break;
      }
      case Command::Cancel: {
        const bool e = b.engine.cancel(c.trader, c.id, c.now, eng_);
        if (e != b.ref.cancel(c.trader, c.id, c.now, ref_))
          result = "cancel returned a different result";
        break;
      }
      case Command::CancelByClientId: {
        const bool e = b.engine.cancel_by_client_id(c.trader, c.cid, c.now, eng_);
        if (e != b.ref.cancel_by_client_id(c.trader, c.cid, c.now, ref_))
          result = "cancel_by_client_id returned a different result";
        break;
      }
      case Command::CancelAll: {
        const std::size_t e = b.engine.cancel_all(c.trader, c.now, eng_);
        if (e != b.ref.cancel_all(c.trader, c.now, ref_))
          result = "cancel_all returned a different count";
        break;
      }
      case Command::Amend: {
        const bool e = b.engine.amend(c.amend, c.now, eng_);
        if (e != b.ref.amend(c.amend, c.now, ref_)) result = "amend returned a different result";
        break;
      }
      case Command::Mark:
        b.engine.on_price(c.mark, c.now, eng_);
        b.ref.on_price(c.mark, c.now, ref_);
        break;
      case Command::Time:
        b.engine.advance_time(c.now, eng_);
        b.ref.advance_time(c.now, ref_);
        break;
    }
    if (!result.empty()) return result;
    if (auto fifo = check_time_priority(b)) return fifo;
    if (auto diff = compare_events()) return diff;
    // A cancelled, amended or made-up id finds an order only if it names a live one.
    const OrderId named = c.kind == Command::Cancel  ? c.id
                          : c.kind == Command::Amend ? c.amend.order_id
                                                     : 0;
    if (named != 0) {
      bool live = false;
      b.ref.for_each_live([&](const RefOrder& o) { live = live || o.id == named; });
      if ((b.engine.find(named) != nullptr) != live)
        return format("find(%#" PRIx64 ") differs", named);
    }
    for (const Event& e : eng_) ++seen_[{e.type, e.reason}];
    return check_book(b);
  }

  std::optional<std::string> compare_events() const {
    const std::size_t n = std::max(eng_.size(), ref_.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (i < eng_.size() && i < ref_.size() && same(eng_[i], ref_[i])) continue;
      return format("events differ at #%zu", i);
    }
    return std::nullopt;
  }

  /// The engine's invariants, and its state against the reference's.
  /// The engine's fills at one price level take makers in the order they joined the level:
  /// orders resting before the command by their queue time, then any that joined during it.
  std::optional<std::string> check_time_priority(const Book& b) const {
    constexpr std::uint64_t kJoinedNow = ~std::uint64_t{0};
    std::vector<std::pair<std::pair<Side, Price>, std::uint64_t>> last;  // per level, this command
    for (const Event& e : eng_) {
      if (e.type != EventType::Fill) continue;
      const auto it = std::lower_bound(b.queued.begin(), b.queued.end(),
                                       std::pair<OrderId, std::uint64_t>{e.maker_id, 0});
      const std::uint64_t at =
          it != b.queued.end() && it->first == e.maker_id ? it->second : kJoinedNow;
      const std::pair<Side, Price> level{opposite(e.side), e.price};
      auto seen =
          std::find_if(last.begin(), last.end(), [&](const auto& l) { return l.first == level; });
      if (seen == last.end()) {
        last.push_back({level, at});
      } else {
        if (at < seen->second)
          return format("maker %#" PRIx64 " traded out of time priority", e.maker_id);
        seen->second = at;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> check_book(Book& b) {
    const OrderBook& e = b.engine;
    const ReferenceBook& r = b.ref;
    const auto bid = e.best_bid();
    const auto ask = e.best_ask();
    if (bid && ask && *bid >= *ask)
      return format("crossed book: bid %" PRId64 " >= ask %" PRId64, *bid, *ask);

    for (Side side : {Side::Buy, Side::Sell}) {
      // Resting orders, level by level in priority order, FIFO within a level.
      std::vector<const Order*> orders;
      e.for_each_resting(side, [&](const Order& o) { orders.push_back(&o); });
      std::size_t k = 0;
      std::size_t level_index = 0;
      const std::vector<LevelView> depth = e.depth(side, 1u << 20);
      if (depth.size() != r.levels(side).size() || e.level_count(side) != depth.size())
        return format("%s: %zu levels, reference has %zu", sv(to_string(side)).c_str(),
                      depth.size(), r.levels(side).size());
      for (const auto& [price, queue] : r.levels(side)) {
        Qty total = 0;
        std::uint64_t last_queued = 0;
        for (const RefOrder& ro : queue) {
          if (ro.queued <= last_queued) return "reference level is not in arrival order";
          last_queued = ro.queued;
          total += ro.remaining;
          if (k >= orders.size()) return "engine has fewer resting orders";
          const Order& o = *orders[k++];
          if (o.remaining <= 0 || o.remaining > o.qty)
            return format("order %#" PRIx64 " remaining %" PRId64 " of %" PRId64, o.id, o.remaining,
                          o.qty);
          if (o.price % tick() != 0 || o.side != side || !o.on_book())
            return format("order %#" PRIx64 " misplaced", o.id);
          if (auto d = same_order(o, ro)) return "resting " + *d;
          if (e.find(o.id) != &o) return format("find(%#" PRIx64 ") does not find it", o.id);
        }
        const LevelView& lv = depth[level_index++];
        if (lv.price != price || lv.qty != total || lv.count != queue.size())
          return format("level %" PRId64 ": engine %" PRId64 "/%" PRId64 "/%u, reference %" PRId64
                        "/%" PRId64 "/%zu",
                        price, lv.price, lv.qty, lv.count, price, total, queue.size());
      }
      if (k != orders.size()) return "engine has more resting orders";
    }

    // Pending triggers.
    if (e.pending_triggers() != r.pending().size())
      return format("pending triggers: engine %zu, reference %zu", e.pending_triggers(),
                    r.pending().size());
    for (const RefOrder& ro : r.pending()) {
      const Order* o = e.find(ro.id);
      if (!o || !o->pending_trigger()) return format("pending order %#" PRIx64 " not found", ro.id);
      if (o->trigger() != ro.trigger) return format("order %#" PRIx64 " trigger differs", ro.id);
      if (auto d = same_order(*o, ro)) return "pending " + *d;
    }

    // Live orders per trader (most recently placed first), and client id look-ups.
    if (e.live_orders() != r.live_orders())
      return format("live orders: engine %zu, reference %zu", e.live_orders(), r.live_orders());
    std::vector<RefOrder> ref_live = r.live();
    std::sort(ref_live.begin(), ref_live.end(),
              [](const RefOrder& x, const RefOrder& y) { return x.arrival > y.arrival; });
    for (TraderId t = 0; t <= kTraders; ++t) {
      std::vector<OrderId> mine;
      e.for_each_of_trader(t, [&](const Order& o) { mine.push_back(o.id); });
      std::vector<RefOrder> ref_mine;  // most recently placed first, as r.live_of(t)
      for (const RefOrder& o : ref_live)
        if (o.trader == t) ref_mine.push_back(o);
      if (mine.size() != ref_mine.size()) return format("trader %u: live order count differs", t);
      for (std::size_t i = 0; i < mine.size(); ++i) {
        if (mine[i] != ref_mine[i].id) return format("trader %u: live order #%zu differs", t, i);
        if (ref_mine[i].client_id != 0) {
          const Order* o = e.find_by_client_id(t, ref_mine[i].client_id);
          if (!o || o->id != ref_mine[i].id)
            return format("find_by_client_id(%u, %" PRIu64 ") differs", t, ref_mine[i].client_id);
        }
      }
    }
    if (e.mark() != r.mark()) return "mark differs";
    if (e.find(0) != nullptr) return "find(0) found an order";
    b.queued.clear();
    for (Side side : {Side::Buy, Side::Sell})
      for (const auto& [price, queue] : r.levels(side))
        for (const RefOrder& o : queue) b.queued.emplace_back(o.id, o.queued);
    std::sort(b.queued.begin(), b.queued.end());
    max_live_ = std::max(max_live_, e.live_orders());
    live_sum_ += e.live_orders();
    level_sum_ += e.level_count(Side::Buy) + e.level_count(Side::Sell);
    ++checks_;
    return std::nullopt;
  }

  static std::optional<std::string> same_order(const Order& o, const RefOrder& r) {
    if (o.id == r.id && o.price == r.price && o.qty == r.qty && o.remaining == r.remaining &&
        o.client_id == r.client_id && o.trader == r.trader && o.side == r.side &&
        o.type == r.type && o.tif == r.tif && o.stp() == r.stp &&
        o.has(Order::kPostOnly) == r.post_only && o.has(Order::kReduceOnly) == r.reduce_only &&
        (o.tif != TimeInForce::GTT || o.expire_at == r.expire_at))
      return std::nullopt;
    return format("order %#" PRIx64 " differs: engine px=%" PRId64 " qty=%" PRId64 " rem=%" PRId64
                  ", reference id=%#" PRIx64 " px=%" PRId64 " qty=%" PRId64 " rem=%" PRId64,
                  o.id, o.price, o.qty, o.remaining, r.id, r.price, r.qty, r.remaining);
  }

  std::string failure_report(std::size_t index, const Command& c, const std::string& what) const {
    std::string s = format("seed %" PRIu64 " (%s), command #%zu: %s\n  command: ", sc_.seed,
                           sc_.name, index, what.c_str());
    s += describe(c) + "\n  engine events:\n";
    for (const Event& e : eng_) s += "    " + describe(e) + "\n";
    s += "  reference events:\n";
    for (const Event& e : ref_) s += "    " + describe(e) + "\n";
    return s;
  }

  Scenario sc_;
  Rng rng_;
  std::unique_ptr<OrderBook::OrderPool> pool_;  ///< shared by the books, if several
  std::vector<std::unique_ptr<Book>> books_;
  Timestamp now_ = 1'700'000'000'000;
  Timestamp first_mark_at_ = now_ + 500;
  EventBuffer eng_;
  EventBuffer ref_;
  std::unordered_set<OrderId> ids_;  ///< every id handed out: none is handed out twice
  std::vector<OrderId> history_;
  std::map<std::pair<EventType, Reason>, std::size_t> seen_;
  std::size_t max_live_ = 0;
  std::size_t live_sum_ = 0;
  std::size_t level_sum_ = 0;
  std::size_t checks_ = 0;
};

void run_scenario(Scenario sc) {
  sc.seed = env_size("CX_DIFF_SEED", sc.seed);
  std::size_t commands = env_size("CX_DIFF_COMMANDS", sc.commands);
  if (const char* s = std::getenv("CX_SANITIZED");
      s && std::string(s) == "1" && !std::getenv("CX_DIFF_COMMANDS"))
    commands /= 20;
  std::printf("[differential] %s: seed %" PRIu64 ", %zu commands, tick %" PRId64 " lot %" PRId64
              " min %" PRId64 ", %zu book(s)\n",
              sc.name, sc.seed, commands, sc.spec.tick, sc.spec.lot, sc.spec.min_qty, sc.markets);
  std::fflush(stdout);
  SCOPED_TRACE(format("seed %" PRIu64, sc.seed));
  Driver d(sc);
  if (auto failure = d.run(commands)) {
    Driver replay(sc);  // the stream is deterministic: replay it to show the book before
    replay.run(failure->index);
    ADD_FAILURE() << failure->report << "  reference book before the command:\n" << replay.dump();
    return;
  }
  std::printf(
      "[differential] %s: per book, mean %.1f levels, mean %.1f live orders, at most %zu;"
      " events:",
      sc.name, d.mean_levels(), d.mean_live(), d.max_live());
  for (const auto& [key, n] : d.seen())
    std::printf(" %s/%s=%zu", event_name(key.first), sv(to_string(key.second)).c_str(), n);
  std::printf("\n");
}

constexpr std::size_t kCommands = 300'000;
constexpr std::size_t kDeepCommands = 150'000;  ///< each costs a few times more

TEST(Differential, TickFiveLotTen) {
  run_scenario({"tick 5 lot 10", 0xC0FFEE01, BookSpec{7, 5, 10, 20}, 1, false, kCommands});
}
TEST(Differential, UnitTickAndLot) {
  run_scenario({"unit tick and lot", 0xC0FFEE02, BookSpec{7, 1, 1, 1}, 1, false, kCommands});
}
TEST(Differential, CoarseTickOddLot) {
  run_scenario({"coarse tick odd lot", 0xC0FFEE03, BookSpec{7, 25, 3, 9}, 1, false, kCommands});
}
TEST(Differential, MinimumAboveLot) {
  run_scenario({"minimum above lot", 0xC0FFEE04, BookSpec{7, 2, 5, 35}, 1, false, kCommands});
}
TEST(Differential, TwoBooksSharingAPool) {
  run_scenario({"two books, one pool", 0xC0FFEE05, BookSpec{7, 5, 10, 20}, 2, false, kCommands});
}
TEST(Differential, ThreeBooksSharingAPool) {
  run_scenario({"three books, one pool", 0xC0FFEE06, BookSpec{11, 1, 1, 1}, 3, false, kCommands});
}
TEST(Differential, DeepBook) {
  run_scenario({"deep book", 0xC0FFEE07, BookSpec{7, 5, 10, 20}, 1, true, kDeepCommands});
}
TEST(Differential, DeepBooksSharingAPool) {
  run_scenario({"deep books, one pool", 0xC0FFEE08, BookSpec{5, 10, 2, 2}, 2, true, kDeepCommands});
}

}  // namespace
