#pragma once
/// The exchange made durable: commands are sequenced, journaled and applied; a batch is made
/// durable by one fdatasync (group commit) before anything in it is acknowledged; snapshots are
/// written by a forked child so the engine pauses only for the fork; start-up recovers from the
/// newest valid snapshot plus the log after it.
///
/// Data directory layout: `<dir>/journal/` (segments, journal/log_writer.hpp) and
/// `<dir>/snapshots/` (journal/snapshot_file.hpp).
///
/// Threading: one thread (the engine thread) calls everything.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "engine/command.hpp"
#include "engine/event.hpp"
#include "engine/exchange.hpp"
#include "journal/log_writer.hpp"

namespace cx::journal {

struct DurableOptions {
  WriterOptions log;
  engine::ExchangeConfig exchange;   ///< used when the directory holds no snapshot
  std::uint64_t snapshot_every = 0;  ///< commands between automatic snapshots; 0: never
  std::size_t keep_snapshots = 2;
  bool remove_old_segments = true;  ///< drop log segments a snapshot has made unnecessary
};

struct RecoveryInfo {
  SeqNo snapshot_seq = 0;  ///< 0: started from an empty exchange
  SeqNo last_seq = 0;      ///< last command recovered
  std::uint64_t replayed = 0;
  std::optional<TornTail> torn_tail;
  std::vector<std::string> skipped_snapshots;
  double seconds = 0;
};

/// Loads the state in `dir` without changing any file (for `cxmpute audit` and tools): newest
/// valid snapshot plus the log after it; a torn tail ends the log quietly.
Result<std::unique_ptr<engine::Exchange>> load_read_only(const std::filesystem::path& dir,
                                                         const engine::ExchangeConfig& config,
                                                         RecoveryInfo* info = nullptr);

class DurableExchange {
 public:
  /// Opens (creating if needed) the data directory and recovers. Fails with Corrupt on damage
  /// that is not a torn tail, and with IoError on file errors.
  static Result<std::unique_ptr<DurableExchange>> open(const std::filesystem::path& dir,
                                                       const DurableOptions& options);
  ~DurableExchange();
  DurableExchange(const DurableExchange&) = delete;
  DurableExchange& operator=(const DurableExchange&) = delete;

  /// Gives `cmd` the next sequence number, journals it (in memory) and applies it, appending
  /// its events to `out`. Nothing of it may leave the engine before commit() returns.
  [[nodiscard]] Result<SeqNo> submit(engine::Command cmd, engine::ExEventBuffer& out);
  /// Makes every submitted command durable with one write and one fdatasync. On failure the
  /// process must stop: the state is ahead of the disk.
  [[nodiscard]] Result<void> commit();

  /// Starts a snapshot of the current state in a forked child, unless one is running. The
  /// engine pauses for the fork only. Call at a commit boundary.
  [[nodiscard]] Result<void> snapshot_async();
  /// Writes a snapshot on this thread and waits for it (tools, tests, shutdown).
  [[nodiscard]] Result<void> snapshot_sync();
  /// Reaps a finished snapshot child and removes what it made unnecessary; returns true while
  /// one is still running.
  bool poll_snapshot();
  /// Longest time the engine stood still for a snapshot fork, in microseconds.
  double longest_snapshot_pause_us() const noexcept { return longest_pause_us_; }

  const engine::Exchange& exchange() const noexcept { return *exchange_; }
  const RecoveryInfo& recovery() const noexcept { return recovery_; }
  SeqNo last_seq() const noexcept { return exchange_->last_seq(); }
  SeqNo durable_seq() const noexcept { return writer_.durable_seq(); }

 private:
  DurableExchange(std::filesystem::path dir, DurableOptions options, LogWriter writer);
  void after_snapshot(SeqNo seq);

  std::filesystem::path dir_;
  DurableOptions options_;
  LogWriter writer_;
  std::unique_ptr<engine::Exchange> exchange_;
  RecoveryInfo recovery_;
  std::vector<std::byte> buf_;
  std::uint64_t since_snapshot_ = 0;
  pid_t snapshot_child_ = -1;
  SeqNo snapshot_child_seq_ = 0;
  double longest_pause_us_ = 0;
};

}  // namespace cx::journal
