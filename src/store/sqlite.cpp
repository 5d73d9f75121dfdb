#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <climits>
#include <string>
#include <utility>

namespace cx::store {

namespace {

/// Corruption is its own class of failure; everything else SQLite reports (I/O, a lock held too
/// long, a constraint the caller did not expect) is an I/O-level failure of the store.
ErrorCode code_of(int rc) noexcept {
  switch (rc & 0xFF) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::Corrupt;
    default:
      return ErrorCode::IoError;
  }
}

Error make_error(sqlite3* db, int rc, std::string_view what, std::string_view detail) {
  std::string m = "sqlite: ";
  m += what;
  if (!detail.empty()) {
    m += " (";
    m += detail;
    m += ')';
  }
  m += ": ";
  m += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  m += " [";
  m += sqlite3_errstr(rc);
  m += ']';
  return Error{code_of(rc), std::move(m)};
}

/// The first line of a statement, shortened: enough to recognise it in an error message.
std::string_view excerpt(std::string_view sql) {
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
  const auto nl = sql.find('\n');
  if (nl != std::string_view::npos) sql = sql.substr(0, nl);
  return sql.substr(0, 80);
}

}  // namespace

// ---------------------------------------------------------------- Stmt

Stmt::Stmt(Stmt&& o) noexcept
    : stmt_(std::exchange(o.stmt_, nullptr)),
      db_(o.db_),
      sql_(std::move(o.sql_)),
      bind_rc_(o.bind_rc_),
      bind_index_(o.bind_index_) {}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    db_ = o.db_;
    sql_ = std::move(o.sql_);
    bind_rc_ = o.bind_rc_;
    bind_index_ = o.bind_index_;
  }
  return *this;
}

Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Error Stmt::error(int rc, std::string_view what) const {
  return make_error(db_, rc, what, excerpt(sql_));
}

Stmt& Stmt::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == 0) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}

Stmt& Stmt::bind(int index, std::uint64_t value) {
  return bind(index, static_cast<std::int64_t>(value));
}

Stmt& Stmt::bind(int index, std::string_view text) {
  int rc = SQLITE_TOOBIG;
  if (text.size() <= static_cast<std::size_t>(INT_MAX))
    // A null pointer would bind SQL NULL; an empty view is the empty string.
    rc = sqlite3_bind_text(stmt_, index, text.data() ? text.data() : "",
                           static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == 0) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == 0) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}

Result<bool> Stmt::step() {
  if (bind_rc_ != 0) {
    const int rc = std::exchange(bind_rc_, 0);
    return std::unexpected(error(rc, "bind parameter " + std::to_string(bind_index_)));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = error(rc, "step");
  sqlite3_reset(stmt_);
  return std::unexpected(std::move(e));
}

Result<void> Stmt::run() {
  auto r = step();
  if (!r) return std::unexpected(std::move(r.error()));
  if (*r)
    return fail(ErrorCode::IoError,
                "sqlite: statement returned rows where none were "
                "expected (" +
                    std::string(excerpt(sql_)) + ")");
  return {};
}

void Stmt::reset() noexcept {
  if (!stmt_) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = 0;
}

std::int64_t Stmt::int64(int col) const noexcept {
  return sqlite3_column_int64(stmt_, col);
}

bool Stmt::is_null(int col) const noexcept {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int Stmt::column_count() const noexcept {
  return sqlite3_column_count(stmt_);
}

std::optional<std::int64_t> Stmt::opt_int64(int col) const noexcept {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::string_view Stmt::text(int col) const noexcept {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return {reinterpret_cast<const char*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

// ---------------------------------------------------------------- Db

Db::Db(Db&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)), cache_(std::move(o.cache_)) {}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    cache_.clear();
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
    cache_ = std::move(o.cache_);
  }
  return *this;
}

Db::~Db() {
  cache_.clear();  // statements first: close_v2 would otherwise defer the close
  if (db_) sqlite3_close_v2(db_);
}

Error Db::error(int rc, std::string_view what) const {
  return make_error(db_, rc, what, path_.string());
}

Result<Db> Db::open(const std::filesystem::path& path, const DbOptions& options) {
  Db db;
  db.path_ = path;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = make_error(db.db_, rc, "open", path.string());
    return std::unexpected(std::move(e));
  }
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, options.busy_timeout_ms);
  // journal_mode=WAL is persistent in the file; a read-only connection cannot set it.
  if (!options.read_only) {
    if (auto r = db.exec("PRAGMA journal_mode=WAL"); !r) return std::unexpected(r.error());
  }
  const std::string pragmas =
      "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
      "PRAGMA cache_size=-" +
      std::to_string(options.cache_kib) +
      "; PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint_pages);
  if (auto r = db.exec(pragmas); !r) return std::unexpected(r.error());
  return db;
}

Result<void> Db::exec(std::string_view sql) {
  const std::string text(sql);
  char* msg = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  std::string detail = msg ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  return fail(code_of(rc), "sqlite: exec (" + std::string(excerpt(sql)) + "): " + detail + " [" +
                               sqlite3_errstr(rc) + "] in " + path_.string());
}

Result<Stmt> Db::prepare(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX))
    return fail(ErrorCode::InvalidArgument, "sqlite: statement too long");
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    Error e = make_error(db_, rc, "prepare", excerpt(sql));
    sqlite3_finalize(s);
    return std::unexpected(std::move(e));
  }
  if (!s) return fail(ErrorCode::InvalidArgument, "sqlite: prepare: empty statement");
  return Stmt(s, db_, std::string(sql));
}

Result<Query> Db::query(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto s = prepare(sql);
    if (!s) return std::unexpected(std::move(s.error()));
    it = cache_.emplace(std::string(sql), std::make_unique<Stmt>(std::move(*s))).first;
  }
  return Query(*it->second);
}

std::int64_t Db::changes() const noexcept {
  return sqlite3_changes64(db_);
}

bool Db::in_transaction() const noexcept {
  return sqlite3_get_autocommit(db_) == 0;
}

// ---------------------------------------------------------------- transactions

Result<Transaction> Transaction::begin(Db& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(std::move(r.error()));
  return Transaction(db);
}

Result<void> Transaction::commit() {
  if (!db_) return fail(ErrorCode::InvalidArgument, "sqlite: commit without a transaction");
  auto r = db_->exec("COMMIT");
  if (!r) {
    rollback();
    return r;
  }
  db_ = nullptr;
  return {};
}

void Transaction::rollback() noexcept {
  if (!db_) return;
  if (db_->in_transaction()) (void)db_->exec("ROLLBACK");
  db_ = nullptr;
}

Result<Savepoint> Savepoint::begin(Db& db) {
  if (auto r = db.exec("SAVEPOINT cx_sp"); !r) return std::unexpected(std::move(r.error()));
  return Savepoint(db);
}

Result<void> Savepoint::release() {
  if (!db_) return fail(ErrorCode::InvalidArgument, "sqlite: release without a savepoint");
  auto r = db_->exec("RELEASE cx_sp");
  if (!r) {
    rollback();
    return r;
  }
  db_ = nullptr;
  return {};
}

void Savepoint::rollback() noexcept {
  if (!db_) return;
  (void)db_->exec("ROLLBACK TO cx_sp; RELEASE cx_sp");
  db_ = nullptr;
}

}  // namespace cx::store
