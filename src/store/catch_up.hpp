#pragma once
/// Start-up catch-up: brings the read store level with the journal. After a crash the store may
/// lag the journal by the projector's last uncommitted batch (or by more, after a power cut:
/// synchronous=NORMAL). The events of those commands are gone, so they are made again: a scratch
/// exchange is loaded from the newest snapshot at or before the store's last_seq (or starts
/// empty), the journal is replayed through it, and every command after last_seq is captured and
/// projected. The live exchange is not touched.

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "core/error.hpp"
#include "engine/exchange.hpp"
#include "store/projector.hpp"

namespace cx::store {

struct CatchUpInfo {
  SeqNo snapshot_seq = 0;       ///< the snapshot replay started from (0: an empty exchange)
  std::uint64_t replayed = 0;   ///< journal commands applied to the scratch exchange
  std::uint64_t projected = 0;  ///< of those, commands written to the store
};

/// Projects the commands up to `until` (the live exchange's last durable seq) that `projector`
/// has not, from the data directory `dir` of a journal::DurableExchange (`<dir>/journal`,
/// `<dir>/snapshots`), committing every `batch` commands. `config` must be the live exchange's.
/// Fails with Corrupt when the store is ahead of `until` (it holds commands that never became
/// durable: rebuild it) or the journal ends before `until`; with InvalidArgument when the
/// journal no longer holds the commands needed (old segments removed with no snapshot old
/// enough) or the projector has uncommitted work; with the journal's or the store's error
/// otherwise (what was committed stays; call again).
[[nodiscard]] Result<CatchUpInfo> catch_up(const std::filesystem::path& dir, Projector& projector,
                                           const engine::ExchangeConfig& config, SeqNo until,
                                           std::size_t batch = 1000);

}  // namespace cx::store
