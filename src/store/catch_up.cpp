#include "store/catch_up.hpp"

#include <memory>
#include <string>

#include "engine/command_codec.hpp"
#include "journal/log_reader.hpp"
#include "journal/snapshot_file.hpp"
#include "store/try.hpp"

namespace cx::store {

Result<CatchUpInfo> catch_up(const std::filesystem::path& dir, Projector& projector,
                             const engine::ExchangeConfig& config, SeqNo until, std::size_t batch) {
  if (projector.pending())
    return fail(ErrorCode::InvalidArgument, "catch-up: the projector has uncommitted commands");
  const SeqNo from = projector.committed_seq();
  if (from > until)
    return fail(ErrorCode::Corrupt, "catch-up: the read store is at seq " + std::to_string(from) +
                                        ", ahead of the journal (" + std::to_string(until) +
                                        "): it holds commands that never became durable; "
                                        "delete it to rebuild it from the journal");
  CatchUpInfo info;
  if (from == until) return info;

  CX_TRY(snap, journal::load_newest_snapshot(dir / "snapshots", from));
  std::unique_ptr<engine::Exchange> x =
      snap.exchange ? std::move(snap.exchange) : std::make_unique<engine::Exchange>(config);
  info.snapshot_seq = snap.seq;
  CX_TRY(reader, journal::LogReader::open(dir / "journal", x->last_seq() + 1));
  engine::ExEventBuffer ev;
  CommandRecord rec;
  journal::Record r;
  std::uint64_t since_commit = 0;
  for (;;) {
    CX_TRY(more, reader.next(r));
    if (!more || r.seq > until) break;
    CX_TRY(cmd, engine::decode(r.seq, r.payload));
    ev.clear();
    x->apply(cmd, ev);
    ++info.replayed;
    if (cmd.seq <= projector.last_seq()) continue;
    capture(cmd.seq, cmd.ts, ev, *x, &cmd, rec);
    CX_CHECK(projector.apply(rec));
    ++info.projected;
    if (++since_commit >= batch) {
      CX_CHECK(projector.commit());
      since_commit = 0;
    }
  }
  CX_CHECK(projector.commit());
  if (projector.committed_seq() < until)
    return fail(ErrorCode::Corrupt, "catch-up: the journal in " + dir.string() + " ends at seq " +
                                        std::to_string(projector.committed_seq()) +
                                        ", before seq " + std::to_string(until));
  return info;
}

}  // namespace cx::store
