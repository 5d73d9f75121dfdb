#include "journal/durable_exchange.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "engine/command_codec.hpp"
#include "engine/state_io.hpp"
#include "journal/log_reader.hpp"
#include "journal/snapshot_file.hpp"

namespace cx::journal {

namespace fs = std::filesystem;
using engine::Command;
using engine::Exchange;
using engine::ExEventBuffer;

namespace {

fs::path journal_dir(const fs::path& dir) {
  return dir / "journal";
}
fs::path snapshot_dir(const fs::path& dir) {
  return dir / "snapshots";
}

/// Applies the log after `x`'s last sequence number to `x`.
Result<std::uint64_t> replay_log(const fs::path& dir, Exchange& x) {
  ExEventBuffer ev;
  Error failure{ErrorCode::Corrupt, ""};
  bool failed = false;
  auto n = for_each(journal_dir(dir), x.last_seq() + 1,
                    [&](SeqNo seq, std::span<const std::byte> payload) {
                      if (failed) return;
                      auto cmd = engine::decode(seq, payload);
                      if (!cmd) {
                        failure = cmd.error();
                        failed = true;
                        return;
                      }
                      ev.clear();
                      x.apply(*cmd, ev);
                    });
  if (!n) return std::unexpected(n.error());
  if (failed) return std::unexpected(failure);
  return *n;
}

}  // namespace

Result<std::unique_ptr<Exchange>> load_read_only(const fs::path& dir,
                                                 const engine::ExchangeConfig& config,
                                                 RecoveryInfo* info) {
  // The end of the log bounds which snapshot may be used.
  SeqNo last = 0;
  {
    auto reader = LogReader::open(journal_dir(dir), 0);
    if (reader) {
      Record rec;
      for (;;) {
        auto more = reader->next(rec);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        last = rec.seq;
      }
    }
  }
  auto snap = load_newest_snapshot(snapshot_dir(dir), last == 0 ? ~SeqNo{0} : last);
  if (!snap) return std::unexpected(snap.error());
  std::unique_ptr<Exchange> x =
      snap->exchange ? std::move(snap->exchange) : std::make_unique<Exchange>(config);
  auto replayed = replay_log(dir, *x);
  if (!replayed) return std::unexpected(replayed.error());
  if (info) {
    info->snapshot_seq = snap->seq;
    info->last_seq = x->last_seq();
    info->replayed = *replayed;
    info->skipped_snapshots = snap->skipped;
  }
  return x;
}

DurableExchange::DurableExchange(fs::path dir, DurableOptions options, LogWriter writer)
    : dir_(std::move(dir)), options_(std::move(options)), writer_(std::move(writer)) {}

DurableExchange::~DurableExchange() {
  if (snapshot_child_ > 0) {
    int status = 0;
    ::waitpid(snapshot_child_, &status, 0);
  }
}

Result<std::unique_ptr<DurableExchange>> DurableExchange::open(const fs::path& dir,
                                                               const DurableOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  auto writer = LogWriter::open(journal_dir(dir), options.log);  // cuts a torn tail
  if (!writer) return std::unexpected(writer.error());
  std::unique_ptr<DurableExchange> d(new DurableExchange(dir, options, std::move(*writer)));
  d->recovery_.torn_tail = d->writer_.recovery().torn_tail;
  const SeqNo log_last = d->writer_.last_seq();
  auto snap = load_newest_snapshot(snapshot_dir(dir), log_last == 0 ? ~SeqNo{0} : log_last);
  if (!snap) return std::unexpected(snap.error());
  d->recovery_.skipped_snapshots = snap->skipped;
  d->recovery_.snapshot_seq = snap->seq;
  const SeqNo first = d->writer_.recovery().first_seq;
  if (first > snap->seq + 1)
    return fail(ErrorCode::Corrupt, "the journal starts at " + std::to_string(first) +
                                        " but the newest usable snapshot is at " +
                                        std::to_string(snap->seq) + ": commands are missing");
  d->exchange_ =
      snap->exchange ? std::move(snap->exchange) : std::make_unique<Exchange>(options.exchange);
  auto replayed = replay_log(dir, *d->exchange_);
  if (!replayed) return std::unexpected(replayed.error());
  d->recovery_.replayed = *replayed;
  d->recovery_.last_seq = d->exchange_->last_seq();
  if (d->exchange_->last_seq() < log_last)
    return fail(ErrorCode::Corrupt, "recovered to " + std::to_string(d->exchange_->last_seq()) +
                                        " but the journal ends at " + std::to_string(log_last));
  d->recovery_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

Result<SeqNo> DurableExchange::submit(Command cmd, ExEventBuffer& out) {
  cmd.seq = exchange_->last_seq() + 1;
  buf_.clear();
  engine::encode(cmd, buf_);
  if (auto r = writer_.append(cmd.seq, buf_); !r) return std::unexpected(r.error());
  exchange_->apply(cmd, out);
  ++since_snapshot_;
  return cmd.seq;
}

Result<void> DurableExchange::commit() {
  if (auto r = writer_.commit(); !r) return r;
  if (options_.snapshot_every != 0 && since_snapshot_ >= options_.snapshot_every &&
      snapshot_child_ < 0) {
    if (auto r = snapshot_async(); !r) return r;
  }
  if (snapshot_child_ > 0) poll_snapshot();
  return {};
}

Result<void> DurableExchange::snapshot_sync() {
  if (auto r = writer_.commit(); !r) return r;
  std::vector<std::byte> state;
  engine::save_state(*exchange_, state);
  auto p = write_snapshot(snapshot_dir(dir_), exchange_->last_seq(), state);
  if (!p) return std::unexpected(p.error());
  since_snapshot_ = 0;
  after_snapshot(exchange_->last_seq());
  return {};
}

Result<void> DurableExchange::snapshot_async() {
  if (snapshot_child_ > 0) return {};
  // Only durable state may be snapshotted: a snapshot must never be ahead of the log.
  if (auto r = writer_.commit(); !r) return r;
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorCode::IoError, "fork for a snapshot failed");
  if (pid == 0) {
    // Child: a copy-on-write image of the state at this instant.
    std::vector<std::byte> state;
    engine::save_state(*exchange_, state);
    auto p = write_snapshot(snapshot_dir(dir_), exchange_->last_seq(), state);
    ::_exit(p ? 0 : 1);
  }
  const double pause =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  longest_pause_us_ = std::max(longest_pause_us_, pause);
  snapshot_child_ = pid;
  snapshot_child_seq_ = exchange_->last_seq();
  since_snapshot_ = 0;
  return {};
}

bool DurableExchange::poll_snapshot() {
  if (snapshot_child_ < 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(snapshot_child_, &status, WNOHANG);
  if (r == 0) return true;
  snapshot_child_ = -1;
  if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) after_snapshot(snapshot_child_seq_);
  return false;
}

void DurableExchange::after_snapshot(SeqNo) {
  // Keep the log back to the oldest snapshot kept, so an older one is still usable if the
  // newest turns out damaged.
  const SeqNo oldest = prune_snapshots(snapshot_dir(dir_), options_.keep_snapshots);
  if (options_.remove_old_segments && oldest > 0) (void)writer_.remove_segments_before(oldest + 1);
}

}  // namespace cx::journal
