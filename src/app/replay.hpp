#pragma once
/// `cxmpute replay [FILE] [--state]`: applies JSON command lines through one Exchange and prints
/// its events as JSON lines, for audits, back-tests and checking the exchange from outside.
/// The line formats are a contract: docs/replay.md.

#include <boost/json/object.hpp>
#include <cstddef>
#include <iosfwd>
#include <span>
#include <string_view>

#include "api/json_codec.hpp"
#include "core/ids.hpp"
#include "engine/exchange.hpp"
#include "journal/durable_exchange.hpp"

namespace cx::app {

using api::CommandContext;
using api::decode_command;
using api::DecodedCommand;
using api::encode_event;
using api::event_name;

/// Feeds command lines to the Exchange it owns and writes each line's events to `out`, one JSON
/// object per line. Sequence numbers are 1, 2, 3... in the order commands are applied; a trader
/// named for the first time is registered by a RegisterTrader command of its own just before.
/// A bad line (not JSON, unknown command, a missing, mistyped or out-of-scale field, an unknown
/// market or asset) is decoded completely before anything is applied, so it changes nothing:
/// it is reported as {"event":"error","line":N,"message":...} on `out` and as one human line on
/// `err`, and skipped. Single-threaded; `out` and `err` must outlive it.
class Replayer {
 public:
  /// With `durable`, commands are journaled into its data directory (one group commit per
  /// input line) and applied to its exchange; sequence numbers continue the directory's.
  Replayer(std::ostream& out, std::ostream& err, journal::DurableExchange* durable = nullptr);

  /// Processes one input line; `lineno` (1-based) is reported with its events and errors.
  /// Blank lines are skipped.
  void feed(std::string_view line, std::size_t lineno);
  /// Writes the state line (state_json).
  void write_state();

  const engine::Exchange& exchange() const noexcept {
    return durable_ ? durable_->exchange() : ex_;
  }
  std::size_t bad_lines() const noexcept { return bad_lines_; }
  SeqNo last_seq() const noexcept { return seq_; }

 private:
  void apply(engine::Command cmd, const CommandContext& ctx, std::size_t lineno);
  void error(std::size_t lineno, std::string_view message);

  std::ostream& out_;
  std::ostream& err_;
  engine::Exchange ex_;
  journal::DurableExchange* durable_ = nullptr;
  engine::ExEventBuffer events_;
  SeqNo seq_ = 0;
  std::size_t bad_lines_ = 0;
};

/// Replays every line of `in` to `out` (events) and `err` (bad lines); with `with_state`, ends
/// with the state line. Returns the number of bad lines.
std::size_t replay(std::istream& in, std::ostream& out, std::ostream& err, bool with_state,
                   journal::DurableExchange* durable = nullptr);

/// The exchange's state: {"balances", "positions", "openOrders", "points", "fees", "markets",
/// "audit"}. Lists are in a deterministic order: mode (REAL first), then trader id, then asset
/// or market id; open orders keep book priority within a trader.
[[nodiscard]] boost::json::object state_json(const engine::Exchange& ex);

/// The `replay` subcommand; `args` are the arguments after "replay". Returns the exit code:
/// 0 when every line was read (bad lines included), 1 if FILE cannot be opened, 2 on a usage
/// error.
int run_replay(std::span<const std::string_view> args);

}  // namespace cx::app
