#pragma once
/// Binary form of commands for the journal (docs/journal.md has the layout). Little-endian,
/// fixed-width fields, strings as u32 length + bytes (core/bytes.hpp). The sequence number is not
/// in the payload: the journal record carries it.

#include <cstddef>
#include <span>
#include <vector>

#include "core/bytes.hpp"
#include "core/error.hpp"
#include "engine/command.hpp"

namespace cx::engine {

/// Appends the payload of `cmd` (timestamp and body) to `out`.
void encode(const Command& cmd, std::vector<std::byte>& out);

/// Decodes a payload written by encode(); `seq` comes from the journal record.
/// Fails with ErrorCode::Corrupt on truncated or unknown input; never reads out of bounds.
[[nodiscard]] Result<Command> decode(SeqNo seq, std::span<const std::byte> payload);

/// A market spec in the same binary form (shared with snapshots).
void write_spec(ByteWriter& w, const MarketSpec& s);
[[nodiscard]] bool read_spec(ByteReader& r, MarketSpec& s);

}  // namespace cx::engine
