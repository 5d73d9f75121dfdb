#pragma once
/// The engine-thread half of projection. The projector needs a few things only the exchange
/// knows, and only right after the command that produced the events: client order id texts
/// (valid until the next apply), names of new traders, specs of new markets, PAPER points, and
/// (from the command) the terms of placed orders. `capture()` copies them into a self-contained
/// CommandRecord, cheaply, so the projector can write it later on its own thread.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.hpp"
#include "engine/event.hpp"
#include "engine/exchange.hpp"
#include "store/records.hpp"

namespace cx::store {

/// An order placement the command made, matched to its event: the Accepted event of an
/// accepted placement, or the Rejected event of a refused one.
struct Placement {
  std::size_t event = 0;  ///< index in CommandRecord::events
  bool rejected = false;
  OrderTerms terms;
  // For a rejected placement (an accepted one has these in its event):
  TraderId trader = 0;
  MarketId market = 0;
  Mode mode = Mode::Paper;
  Side side = Side::Buy;
  Price price = 0;
  Qty qty = 0;
  std::string client_order_id;
};

struct NewTrader {
  TraderId id = 0;
  std::string name;
};

/// Everything the projector writes for one command. Reusable: capture() clears it first and
/// keeps its capacity.
struct CommandRecord {
  SeqNo seq = 0;
  Timestamp ts = 0;
  std::vector<engine::ExEvent> events;
  std::vector<std::string> cids;      ///< cids[ref - 1]: the text of cid_ref `ref`
  std::vector<NewTrader> traders;     ///< TraderRegistered
  std::vector<MarketInfo> markets;    ///< MarketCreated
  std::vector<PointsEntry> points;    ///< PAPER accounts the command touched, after it
  std::vector<Placement> placements;  ///< in event order; empty without the command
  bool placements_complete = true;    ///< false: the events could not all be matched

  /// Client order id of an event's cid_ref ("" for 0 or an unknown ref).
  std::string_view cid(std::uint32_t ref) const noexcept {
    return ref != 0 && ref <= cids.size() ? std::string_view(cids[ref - 1]) : std::string_view();
  }
  void clear();
};

/// Fills `out` for the command (seq, ts) whose events are `events`, reading `x` as it stands
/// right after that command. `cmd`, if given, is the command itself: with it, placements are
/// matched to their events (order terms, and rejected placements become REJECTED orders).
/// Engine thread only (it reads the exchange).
void capture(SeqNo seq, Timestamp ts, std::span<const engine::ExEvent> events,
             const engine::Exchange& x, const engine::Command* cmd, CommandRecord& out);

}  // namespace cx::store
