#pragma once
/// JSON <-> engine. Decodes one JSON command (a line of `cxmpute replay` input) into an engine
/// command, with names resolved and decimals converted against an Exchange, and encodes engine
/// events as JSON objects (the state line is replay.hpp's). The JSON shapes are a public
/// contract, described in docs/replay.md: fields may be added, never renamed or retyped.
///
/// Threading: every function only reads the Exchange; call them from the thread that applies
/// commands to it.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "engine/command.hpp"
#include "engine/event.hpp"
#include "engine/exchange.hpp"

namespace cx::api {

/// What the encoder needs to know about the command behind a batch of events. Engine rejections
/// carry no reliable mode or market of their own (a command naming an unknown one has none), so
/// the rejected event takes them from here.
struct CommandContext {
  std::optional<engine::Mode> mode;  ///< the mode the command names (one for the whole batch)
  std::string market;                ///< the market symbol the command names, or ""
  bool names_trader = false;         ///< false: a rejected event has no `trader` field
};

/// A command that passed every check the codec can make: its JSON shape, its field types, its
/// decimals at the right scale, and every market and asset name. Applying it may still be
/// rejected by the exchange (a rule against state), never for its text.
struct DecodedCommand {
  /// Trader names the exchange does not know yet, in order of first mention. The command's
  /// trader ids for them are trader_count(), trader_count() + 1, ...: the ids RegisterTrader
  /// commands give them when applied, in this order, right before the command.
  std::vector<std::string> new_traders;
  Timestamp ts = 0;  ///< "ts" (milliseconds), 0 when absent
  engine::CommandBody body;
  CommandContext context;
};

/// Decodes one command line (a JSON object). Fails, with a message naming the command and the
/// field, on anything the codec can check; never changes anything.
[[nodiscard]] Result<DecodedCommand> decode_command(std::string_view line,
                                                    const engine::Exchange& ex);
/// The same for a command already parsed (a server route builds the object it submits).
[[nodiscard]] Result<DecodedCommand> decode_command(const boost::json::object& command,
                                                    const engine::Exchange& ex);

/// Encodes one event as {"event": <kind>, "seq": seq, ...} with names instead of ids and
/// decimals at the market's or asset's scale. Call before the exchange's next apply(): client
/// order id texts of events live until then.
[[nodiscard]] boost::json::object encode_event(const engine::ExEvent& e, const engine::Exchange& ex,
                                               const CommandContext& ctx, SeqNo seq);

/// The event kind names, by engine::EventType ("accepted", "fill", ...).
[[nodiscard]] std::string_view event_name(engine::EventType t) noexcept;

}  // namespace cx::api
