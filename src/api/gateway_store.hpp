#pragma once
/// Where the AI gateway keeps its money and its usage history between restarts: a SQLite file
/// (<data>/gateway.db) with the ledger's accounts and every usage record. Written by the
/// gateway's housekeeping thread in batches (one transaction per batch), never on the request
/// path. docs/gateway.md ("Persistence") gives the rules and the crash window.
///
/// Threading: one thread at a time (the housekeeping thread after start-up).

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "gateway/ledger.hpp"
#include "gateway/usage.hpp"
#include "store/sqlite.hpp"

namespace cx::api {

class GatewayStore {
 public:
  /// Opens or creates the file and its tables.
  [[nodiscard]] static Result<GatewayStore> open(const std::filesystem::path& path);

  /// Every saved account (a consistent snapshot: the last batch's).
  [[nodiscard]] Result<std::vector<gateway::AccountRow>> accounts();
  /// Usage records that ended at or after `since_ms`, oldest first.
  [[nodiscard]] Result<std::vector<gateway::UsageRecord>> usage_since(std::int64_t since_ms);
  /// In one transaction: upserts `accounts` (a whole export_rows() snapshot) and appends
  /// `records`.
  [[nodiscard]] Result<void> save(std::span<const gateway::AccountRow> accounts,
                                  std::span<const gateway::UsageRecord> records);

 private:
  explicit GatewayStore(store::Db db) : db_(std::move(db)) {}
  store::Db db_;
};

}  // namespace cx::api
