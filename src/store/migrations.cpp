#include "store/migrations.hpp"

#include <string>

namespace cx::store {

namespace {

constexpr std::string_view kVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY,"
    " description TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)";

Result<int> read_version(Db& db) {
  auto q = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = (*q)->step();
  if (!row) return std::unexpected(std::move(row.error()));
  return static_cast<int>((*q)->int64(0));
}

}  // namespace

Result<int> schema_version(Db& db) {
  auto q = db.query(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'");
  if (!q) return std::unexpected(std::move(q.error()));
  auto row = (*q)->step();
  if (!row) return std::unexpected(std::move(row.error()));
  if ((*q)->int64(0) == 0) return 0;
  return read_version(db);
}

Result<int> migrate(Db& db, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1)
      return fail(ErrorCode::InvalidArgument,
                  "migrations must be numbered 1, 2, 3... in order; entry " +
                      std::to_string(i + 1) + " has version " +
                      std::to_string(migrations[i].version));
  }
  const int known = static_cast<int>(migrations.size());
  if (auto r = db.exec(kVersionTable); !r) return std::unexpected(std::move(r.error()));
  for (;;) {
    // Each step re-reads the version inside its transaction: two processes opening the same
    // file at once apply each migration exactly once.
    auto tx = Transaction::begin(db);
    if (!tx) return std::unexpected(std::move(tx.error()));
    auto current = read_version(db);
    if (!current) return std::unexpected(std::move(current.error()));
    if (*current > known)
      return fail(ErrorCode::Corrupt,
                  "database " + db.path().string() + " has schema version " +
                      std::to_string(*current) + ", newer than this build knows (" +
                      std::to_string(known) + "); run a newer cxmpute or restore a backup");
    if (*current == known) {
      if (auto r = tx->commit(); !r) return std::unexpected(std::move(r.error()));
      return known;
    }
    const Migration& m = migrations[static_cast<std::size_t>(*current)];
    if (auto r = db.exec(m.sql); !r)
      return fail(r.error().code, "migration " + std::to_string(m.version) + " (" +
                                      std::string(m.description) +
                                      ") failed: " + r.error().message);
    auto ins = db.query("INSERT INTO schema_version (version, description) VALUES (?, ?)");
    if (!ins) return std::unexpected(std::move(ins.error()));
    if (auto r = (*ins)->bind_all(m.version, m.description).run(); !r)
      return std::unexpected(std::move(r.error()));
    if (auto r = tx->commit(); !r) return std::unexpected(std::move(r.error()));
  }
}

}  // namespace cx::store
