#pragma once
/// Shared set-up for the engine benchmarks: the exchange-core workload as exchange commands on
/// one PAPER spot market, with 1,000 funded traders (ids 1..1000, as the generator uses).

#include <vector>

#include "book/exchange_core_gen.hpp"
#include "engine/command.hpp"

namespace cx::bench::exchange {

/// Commands that register the traders, create the market and fund everyone.
std::vector<cx::engine::Command> venue_setup(std::uint32_t traders);

/// The workload's fill and mix as exchange commands on market 0 (seq and ts left to the caller).
std::vector<cx::engine::Command> as_commands(const book::ExchangeCoreWorkload& w);

}  // namespace cx::bench::exchange
