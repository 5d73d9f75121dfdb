#pragma once
/// A small RAII layer over SQLite: a connection (`Db`), prepared statements (`Stmt`), a cache of
/// prepared statements handed out as `Query` leases that reset on release, and transactions
/// (`Transaction`, `Savepoint`) that roll back unless committed. Every failure is a cx::Error
/// whose message names what was being done and SQLite's own message.
///
/// Threading: a `Db` and everything made from it belong to one thread at a time. Open one `Db`
/// per thread; WAL lets readers on other connections run while one connection writes.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace cx::store {

struct DbOptions {
  bool read_only = false;      ///< open an existing file without write access
  int busy_timeout_ms = 5000;  ///< how long a statement waits for another connection's lock
  int cache_kib = 32 * 1024;   ///< page cache of this connection (allocated as used)
  /// Pages of WAL after which a commit checkpoints (SQLite's default is 1000). Checkpoints are
  /// where synchronous=NORMAL syncs, so fewer of them cost less on slow disks; 0 turns
  /// automatic checkpoints off (then run `PRAGMA wal_checkpoint` elsewhere). 20,000 pages
  /// (80 MiB of WAL at most): under order load the projector checkpointed several times a
  /// second with 1,000, rewriting the same index pages and syncing the disk the journal syncs;
  /// bench_api measured 15% less projector CPU per order and 23% more orders/s (median of 3
  /// interleaved pairs, load 7).
  int wal_autocheckpoint_pages = 20'000;
};

/// A prepared statement. Bind parameters are 1-based, columns 0-based (SQLite's convention).
/// A bind error is remembered and reported by the next step()/run().
class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept;
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, std::uint64_t value);  ///< stored bit-for-bit as a signed 64-bit integer
  Stmt& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Stmt& bind(int index, std::uint32_t value) { return bind(index, std::int64_t{value}); }
  Stmt& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
  Stmt& bind(int index, std::string_view text);  ///< copied by SQLite
  Stmt& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Stmt& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  template <class T>
  Stmt& bind(int index, const std::optional<T>& v) {
    return v ? bind(index, *v) : bind_null(index);
  }
  Stmt& bind_null(int index);

  /// Binds each argument in turn to parameters 1, 2, ...
  template <class... Args>
  Stmt& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  /// Runs to the next row: true when a row is available, false when the statement is done.
  [[nodiscard]] Result<bool> step();
  /// Steps a statement that returns no rows (INSERT, UPDATE...) to completion.
  [[nodiscard]] Result<void> run();
  /// Clears the bindings and rewinds, releasing any read lock a half-read SELECT holds.
  void reset() noexcept;

  std::int64_t int64(int col) const noexcept;
  std::uint64_t uint64(int col) const noexcept { return static_cast<std::uint64_t>(int64(col)); }
  bool is_null(int col) const noexcept;
  int column_count() const noexcept;
  std::optional<std::int64_t> opt_int64(int col) const noexcept;
  /// The column as text; valid until the next step() or reset().
  std::string_view text(int col) const noexcept;

  const std::string& sql() const noexcept { return sql_; }

 private:
  friend class Db;
  Stmt(sqlite3_stmt* s, sqlite3* db, std::string sql) : stmt_(s), db_(db), sql_(std::move(sql)) {}
  Error error(int rc, std::string_view what) const;

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  std::string sql_;
  int bind_rc_ = 0;  ///< first failed bind's result code (0: none)
  int bind_index_ = 0;
};

/// A cached statement lent out by Db::query(); resets it when the lease ends, so a SELECT that
/// was not read to the end never keeps a WAL snapshot open.
class Query {
 public:
  explicit Query(Stmt& s) noexcept : s_(&s) {}
  Query(Query&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    if (s_) s_->reset();
  }
  Stmt* operator->() const noexcept { return s_; }
  Stmt& operator*() const noexcept { return *s_; }

 private:
  Stmt* s_;
};

class Db {
 public:
  /// Opens (creating unless read-only) the database file and sets WAL mode, synchronous=NORMAL,
  /// foreign keys on and the busy timeout. Fails with IoError naming the path.
  [[nodiscard]] static Result<Db> open(const std::filesystem::path& path,
                                       const DbOptions& options = {});

  Db() = default;
  Db(Db&&) noexcept;
  Db& operator=(Db&&) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  /// Runs one or more statements that take no parameters (DDL, PRAGMA, BEGIN...).
  [[nodiscard]] Result<void> exec(std::string_view sql);
  /// Prepares a statement the caller owns.
  [[nodiscard]] Result<Stmt> prepare(std::string_view sql);
  /// Lends the cached statement for `sql`, preparing it on first use. The statement stays owned
  /// by the Db; the lease resets it. Do not hold two leases of the same SQL text at once.
  [[nodiscard]] Result<Query> query(std::string_view sql);

  /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const noexcept;
  bool in_transaction() const noexcept;
  const std::filesystem::path& path() const noexcept { return path_; }
  sqlite3* handle() const noexcept { return db_; }

 private:
  Error error(int rc, std::string_view what) const;

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::map<std::string, std::unique_ptr<Stmt>, std::less<>> cache_;
};

/// BEGIN IMMEDIATE ... COMMIT. Takes the write lock at once (waiting up to the busy timeout), so
/// a transaction never fails half-way because another connection wrote first. Rolls back on
/// destruction unless committed. Not nestable: use Savepoint inside.
class Transaction {
 public:
  [[nodiscard]] static Result<Transaction> begin(Db& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() { rollback(); }

  [[nodiscard]] Result<void> commit();
  void rollback() noexcept;
  bool active() const noexcept { return db_ != nullptr; }

 private:
  explicit Transaction(Db& db) : db_(&db) {}
  Db* db_;
};

/// SAVEPOINT ... RELEASE: a transaction that nests inside another one (or stands alone).
/// Rolls back to the savepoint on destruction unless released.
class Savepoint {
 public:
  [[nodiscard]] static Result<Savepoint> begin(Db& db);
  Savepoint(Savepoint&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Savepoint& operator=(Savepoint&&) = delete;
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  ~Savepoint() { rollback(); }

  [[nodiscard]] Result<void> release();
  void rollback() noexcept;

 private:
  explicit Savepoint(Db& db) : db_(&db) {}
  Db* db_;
};

}  // namespace cx::store
