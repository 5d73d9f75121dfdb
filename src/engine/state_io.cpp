#include "engine/state_io.hpp"

#include <string>

#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "engine/command_codec.hpp"

namespace cx::engine {

namespace {
constexpr std::uint32_t kMagic = 0x4E535843;  // "CXSN"
constexpr std::size_t kMaxCount = std::size_t{1} << 32;
}  // namespace

struct StateIo {
  // ---------------------------------------------------------------- save

  static void save_book(ByteWriter& w, const OrderBook& b) {
    w.put(b.seq_);
    w.put(static_cast<std::uint64_t>(b.live_));
    w.u8(b.mark_ ? 1 : 0);
    w.put(b.mark_.value_or(0));
    for (const PriceLadder* l : {&b.bids_, &b.asks_}) {
      w.put(static_cast<std::uint64_t>(l->size()));
      l->for_each([&](std::uint32_t level) {  // best first
        const auto& lv = b.levels_[level];
        w.put(lv.price);
        w.put(lv.head);
        return true;
      });
    }
    w.vec(b.triggers_.rising_);
    w.vec(b.triggers_.falling_);
    w.vec(b.trader_head_);
    w.vec(b.gtt_);
  }

  static void save(const Exchange& x, std::vector<std::byte>& out) {
    ByteWriter w(out);
    w.put(kMagic);
    w.put(kStateVersion);
    w.put(x.config_);
    w.put(x.last_seq_);
    w.put(x.now_);
    // Order records, free and live (free ones keep their generation).
    const auto& pool = x.pool_;
    w.put(pool.size_);
    w.put(pool.live_);
    for (std::uint32_t s = 0; s < pool.size_; ++s) {
      Order o = pool[s];
      if (o.on_book()) o.level = 0;  // level slots are rebuilt on load
      w.put(o);
    }
    w.vec(pool.free_);
    // Traders.
    w.put(static_cast<std::uint64_t>(x.trader_names_.size()));
    for (const auto& n : x.trader_names_) w.str(n);
    // Markets and their books.
    w.put(static_cast<std::uint64_t>(x.markets_.size()));
    for (const auto& m : x.markets_) {
      write_spec(w, m->spec);
      w.u8(static_cast<std::uint8_t>(m->status));
      w.put(m->index);
      w.put(m->mark);
      w.put(m->stats);
      w.put(m->risk);
      w.put(m->funding_clock);
      save_book(w, *m->book);
    }
    // Accounts.
    for (std::size_t mode = 0; mode < kModeCount; ++mode) {
      for (const Account& a : x.accounts_[mode]) {
        w.put(a.assets);
        w.vec(a.positions);
        w.put(a.limit_orders);
        w.put(a.volume);
        w.put(a.profit);
      }
      w.put(x.system_[mode]);
    }
    // Locks of live orders.
    std::uint64_t live_meta = 0;
    for (const auto& m : x.meta_) live_meta += m.id != 0 ? 1 : 0;
    w.put(live_meta);
    for (std::uint32_t s = 0; s < x.meta_.size(); ++s) {
      const auto& m = x.meta_[s];
      if (m.id == 0) continue;
      w.put(s);
      w.put(m.id);
      w.put(m.locked);
      w.put(m.lock_per_lot);
      w.put(m.cid_hash);
      w.u8(m.lock_asset);
      w.u8(static_cast<std::uint8_t>(m.mode));
      w.str(m.cid);
    }
    w.vec(x.due_);
  }

  // ---------------------------------------------------------------- load

  static bool load_book(ByteReader& r, OrderBook& b, std::uint32_t pool_size) {
    auto& pool = *b.pool_;
    b.seq_ = r.get<std::uint64_t>();
    b.live_ = static_cast<std::size_t>(r.get<std::uint64_t>());
    const bool has_mark = r.u8() != 0;
    const auto mark = r.get<Price>();
    if (has_mark) b.mark_ = mark;
    for (PriceLadder* l : {&b.bids_, &b.asks_}) {
      const auto n = r.get<std::uint64_t>();
      if (!r.ok() || n > pool_size) return false;
      // Saved best first; the ladder keeps the best at the back.
      std::vector<std::pair<Price, std::uint32_t>> saved(static_cast<std::size_t>(n));
      for (auto& [price, head] : saved) {
        price = r.get<Price>();
        head = r.get<std::uint32_t>();
      }
      if (!r.ok()) return false;
      for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
        const std::uint32_t lvl = b.levels_.alloc();
        auto& lv = b.levels_[lvl];
        lv = OrderBook::Level{};
        lv.side = l->side();
        lv.price = it->first;
        lv.head = it->second;
        std::uint32_t guard = 0;
        for (std::uint32_t s = lv.head; s != kNil; s = pool[s].next) {
          if (s >= pool_size || ++guard > pool_size) return false;
          Order& o = pool[s];
          if (o.price != lv.price || o.side != lv.side) return false;
          o.level = lvl;
          lv.tail = s;
          lv.total += o.remaining;
          ++lv.count;
        }
        if (lv.count == 0) return false;
        if (lv.price <= 0 || !b.tick_.divides(lv.price) || l->find(lv.price) != PriceLadder::kNone)
          return false;
        l->insert(lv.price, lvl);
      }
    }
    b.triggers_.rising_ = r.vec<TriggerBook::Entry>(pool_size);
    b.triggers_.falling_ = r.vec<TriggerBook::Entry>(pool_size);
    b.trader_head_ = r.vec<std::uint32_t>(kMaxCount);
    b.gtt_ = r.vec<OrderBook::Gtt>(kMaxCount);
    if (!r.ok()) return false;
    for (const auto* q : {&b.triggers_.rising_, &b.triggers_.falling_})
      for (const auto& e : *q)
        if (e.slot >= pool_size) return false;
    // The book's (trader, client id) index, from its live orders.
    for (std::uint32_t s = 0; s < pool_size; ++s) {
      const Order& o = pool[s];
      if (o.market == b.spec_.market && o.level != kNil && o.has(Order::kCidRegistered))
        b.cids_.insert(OrderBook::CidKey{o.trader, o.client_id}, s);
    }
    return true;
  }

  static Result<std::unique_ptr<Exchange>> load(std::span<const std::byte> bytes) {
    auto bad = [](const std::string& what) {
      return fail(ErrorCode::Corrupt, "snapshot state: " + what);
    };
    ByteReader r(bytes);
    if (r.get<std::uint32_t>() != kMagic) return bad("not a Cxmpute state (bad magic)");
    const auto version = r.get<std::uint32_t>();
    if (version != kStateVersion && version != kOldestStateVersion)
      return bad("version " + std::to_string(version) + ", this build reads " +
                 std::to_string(kStateVersion));
    auto x = std::make_unique<Exchange>(r.get<ExchangeConfig>());
    x->last_seq_ = r.get<SeqNo>();
    x->now_ = r.get<Timestamp>();
    auto& pool = x->pool_;
    const auto size = r.get<std::uint32_t>();
    const auto live = r.get<std::uint32_t>();
    if (!r.ok() || static_cast<std::size_t>(size) * sizeof(Order) > r.remaining())
      return bad("truncated order records");
    pool.reserve(size);
    pool.size_ = size;
    pool.live_ = live;
    for (std::uint32_t s = 0; s < size; ++s) pool[s] = r.get<Order>();
    pool.free_ = r.vec<std::uint32_t>(size);
    for (std::uint32_t s : pool.free_)
      if (s >= size) return bad("free slot out of range");
    // Links are slots: check them before anything follows one.
    for (std::uint32_t s = 0; s < size; ++s) {
      const Order& o = pool[s];
      if (o.level == kNil) continue;
      auto in = [&](std::uint32_t v) { return v == kNil || v < size; };
      if (!in(o.trader_prev) || !in(o.trader_next) || (o.on_book() && (!in(o.prev) || !in(o.next))))
        return bad("order link out of range");
    }

    const auto traders = r.get<std::uint64_t>();
    if (!r.ok() || traders > kMaxCount) return bad("trader count");
    for (std::uint64_t i = 0; i < traders && r.ok(); ++i) {
      std::string name = r.str(256);
      x->trader_ids_.emplace(name, static_cast<TraderId>(i));
      x->trader_names_.push_back(std::move(name));
    }

    const auto markets = r.get<std::uint64_t>();
    if (!r.ok() || markets > (1u << 20)) return bad("market count");
    for (std::uint64_t i = 0; i < markets; ++i) {
      auto m = std::make_unique<Market>();
      if (!read_spec(r, m->spec)) return bad("market spec");
      m->id = static_cast<MarketId>(i);
      const auto st = r.u8();
      if (st > 3) return bad("market status");
      m->status = static_cast<MarketStatus>(st);
      m->index = r.get<Price>();
      m->mark = r.get<Price>();
      m->stats = r.get<MarketStats>();
      m->risk = r.get<MarketRisk>();
      if (version >= 3) m->funding_clock = r.get<FundingClock>();  // version 2: never
      const int shift = m->spec.price_scale + m->spec.qty_scale - kAssets[m->spec.quote].scale;
      m->mult = shift < 0 ? pow10(-shift) : 1;
      m->div = shift > 0 ? pow10(shift) : 1;
      m->book = std::make_unique<OrderBook>(
          BookSpec{m->id, m->spec.tick, m->spec.lot, m->spec.min_qty}, &x->pool_);
      // Orders on the book carry their level slot; the loader assigns new ones.
      if (!load_book(r, *m->book, size)) return bad("book of market " + m->spec.symbol);
      x->market_ids_.emplace(std::pair<Mode, std::string>(m->spec.mode, m->spec.symbol), m->id);
      x->markets_.push_back(std::move(m));
    }

    for (std::size_t mode = 0; mode < kModeCount; ++mode) {
      x->accounts_[mode].resize(static_cast<std::size_t>(traders));
      for (Account& a : x->accounts_[mode]) {
        a.assets = r.get<std::array<Balance, kAssetCount>>();
        a.positions = r.vec<Position>(markets);
        for (const Position& p : a.positions)
          if (p.market >= markets || p.indexed > 15 || (p.indexed & kIndexSide) == kIndexSide)
            return bad("position fields");
        a.limit_orders = r.get<std::int64_t>();
        a.volume = r.get<Amount>();
        a.profit = r.get<Amount>();
      }
      x->system_[mode] = r.get<SystemAccounts>();
    }

    const auto live_meta = r.get<std::uint64_t>();
    if (!r.ok() || live_meta > size) return bad("order locks");
    x->meta_.resize(size);
    for (std::uint64_t i = 0; i < live_meta; ++i) {
      const auto s = r.get<std::uint32_t>();
      if (!r.ok() || s >= size) return bad("order lock slot");
      auto& m = x->meta_[s];
      m.id = r.get<OrderId>();
      m.locked = r.get<Amount>();
      m.lock_per_lot = r.get<Amount>();
      m.cid_hash = r.get<std::uint64_t>();
      m.lock_asset = r.u8();
      const auto mode = r.u8();
      if (mode > 1 || m.lock_asset >= kAssetCount) return bad("order lock fields");
      m.mode = static_cast<Mode>(mode);
      m.cid = r.str(64);
      if (m.cid_hash != 0)
        x->cids_.insert(Exchange::CidKey{pool[s].trader << 1 | mode, m.cid_hash}, m.id);
    }
    x->due_ = r.vec<Exchange::Due>(kMaxCount);
    if (!r.ok()) return bad("truncated");
    if (r.remaining() != 0) return bad("trailing bytes");
    for (std::size_t mode = 0; mode < kModeCount; ++mode)
      for (const Account& a : x->accounts_[mode])
        x->has_positions_[mode].push_back(a.positions.empty() ? 0 : 1);
    x->rebuild_risk_index();
    x->rebuild_reduce_only_index();
    return x;
  }
};

void save_state(const Exchange& x, std::vector<std::byte>& out) {
  StateIo::save(x, out);
}

Result<std::unique_ptr<Exchange>> load_state(std::span<const std::byte> bytes) {
  return StateIo::load(bytes);
}

}  // namespace cx::engine
