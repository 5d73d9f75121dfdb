// SqliteReadStore: opening, users, API keys and sessions.

#include <algorithm>

#include "store/schema.hpp"
#include "store/sqlite_read_store.hpp"
#include "store/try.hpp"

namespace cx::store {

namespace {

bool is_hex_digest(std::string_view h) noexcept {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_token_char(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '-';
}

Result<void> check_hash(std::string_view what, std::string_view h) {
  if (is_hex_digest(h)) return {};
  return fail(ErrorCode::InvalidArgument,
              std::string(what) + " must be a SHA-256 in 64 lowercase hex digits");
}

Result<void> check_prefix(std::string_view p) {
  if (!p.empty() && p.size() <= 32 && std::all_of(p.begin(), p.end(), is_token_char)) return {};
  return fail(ErrorCode::InvalidArgument, "API key prefix must be 1 to 32 of [A-Za-z0-9_-]");
}

Result<void> check_user_id(std::string_view id) {
  if (!id.empty() && id.size() <= 128) return {};
  return fail(ErrorCode::InvalidArgument, "user id must be 1 to 128 characters");
}

/// Roles as stored: sorted, unique, space-separated.
Result<std::string> join_roles(std::span<const std::string> roles) {
  std::vector<std::string> v(roles.begin(), roles.end());
  for (const std::string& r : v) {
    if (r.empty() || r.size() > 32 || !std::all_of(r.begin(), r.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        }))
      return fail(ErrorCode::InvalidArgument, "role '" + r + "' must be 1 to 32 of [a-z0-9_-]");
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::string out;
  for (const std::string& r : v) {
    if (!out.empty()) out += ' ';
    out += r;
  }
  return out;
}

std::vector<std::string> split_roles(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto sp = s.find(' ');
    out.emplace_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

constexpr std::string_view kUserCols = "SELECT id, email, created_at, roles FROM users ";

User read_user(const Stmt& s) {
  return User{std::string(s.text(0)), std::string(s.text(1)), s.int64(2), split_roles(s.text(3))};
}

constexpr std::string_view kKeyCols =
    "SELECT prefix, kind, user_id, hash, label, created_at, last_used_at, revoked_at "
    "FROM api_keys ";

ApiKey read_key(const Stmt& s) {
  ApiKey k;
  k.prefix = s.text(0);
  k.kind = key_kind_from(s.text(1)).value_or(KeyKind::UserAk);
  k.user_id = s.text(2);
  k.hash = s.text(3);
  k.label = s.text(4);
  k.created_at = s.int64(5);
  k.last_used_at = s.opt_int64(6);
  k.revoked_at = s.opt_int64(7);
  return k;
}

Result<std::optional<User>> one_user(Db& db, std::string_view where, std::string_view arg) {
  CX_TRY(q, db.query(std::string(kUserCols) + std::string(where)));
  CX_TRY(row, q->bind(1, arg).step());
  if (!row) return std::optional<User>{};
  return std::optional<User>{read_user(*q)};
}

Result<bool> user_exists(Db& db, std::string_view id) {
  CX_TRY(q, db.query("SELECT 1 FROM users WHERE id = ?"));
  return q->bind(1, id).step();
}

Result<bool> insert_key(Db& db, const ApiKey& k) {
  CX_CHECK(check_prefix(k.prefix));
  CX_CHECK(check_hash("API key hash", k.hash));
  CX_TRY(exists, user_exists(db, k.user_id));
  if (!exists)
    return fail(ErrorCode::InvalidArgument, "API key for unknown user '" + k.user_id + "'");
  CX_TRY(
      q,
      db.query("INSERT INTO api_keys (prefix, kind, user_id, hash, label, created_at, "
               "last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
  CX_CHECK(q->bind_all(k.prefix, to_string(k.kind), k.user_id, k.hash, k.label, k.created_at,
                       k.last_used_at, k.revoked_at)
               .run());
  return db.changes() == 1;
}

Result<bool> insert_session(Db& db, const Session& s) {
  CX_CHECK(check_hash("session token hash", s.token_hash));
  CX_TRY(exists, user_exists(db, s.user_id));
  if (!exists)
    return fail(ErrorCode::InvalidArgument, "session for unknown user '" + s.user_id + "'");
  CX_TRY(q,
         db.query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, revoked_at) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
  CX_CHECK(q->bind_all(s.token_hash, s.user_id, s.created_at, s.expires_at, s.revoked_at).run());
  return db.changes() == 1;
}

}  // namespace

Result<std::unique_ptr<SqliteReadStore>> SqliteReadStore::open(const std::filesystem::path& path,
                                                               const DbOptions& options) {
  CX_TRY(db, Db::open(path, options));
  if (options.read_only) {
    CX_TRY(v, schema_version(db));
    const auto known = static_cast<int>(read_store_migrations().size());
    if (v != known)
      return fail(ErrorCode::Corrupt, "read store " + path.string() + " has schema version " +
                                          std::to_string(v) + ", this build expects " +
                                          std::to_string(known));
  } else {
    CX_CHECK(migrate(db, read_store_migrations()));
  }
  return std::unique_ptr<SqliteReadStore>(new SqliteReadStore(std::move(db)));
}

// ---------------------------------------------------------------- users

Result<bool> SqliteReadStore::create_user(const User& u) {
  CX_CHECK(check_user_id(u.id));
  if (u.email.empty() || u.email.size() > 320)
    return fail(ErrorCode::InvalidArgument, "email must be 1 to 320 characters");
  CX_TRY(roles, join_roles(u.roles));
  CX_TRY(q, db_.query("INSERT INTO users (id, email, created_at, roles) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT DO NOTHING"));
  CX_CHECK(q->bind_all(u.id, u.email, u.created_at, roles).run());
  return db_.changes() == 1;
}

Result<std::optional<User>> SqliteReadStore::user(std::string_view id) {
  return one_user(db_, "WHERE id = ?", id);
}

Result<std::optional<User>> SqliteReadStore::user_by_email(std::string_view email) {
  return one_user(db_, "WHERE email = ?", email);
}

Result<bool> SqliteReadStore::set_roles(std::string_view id, std::span<const std::string> roles) {
  CX_TRY(joined, join_roles(roles));
  CX_TRY(q, db_.query("UPDATE users SET roles = ? WHERE id = ?"));
  CX_CHECK(q->bind_all(joined, id).run());
  return db_.changes() == 1;
}

// ---------------------------------------------------------------- API keys

Result<bool> SqliteReadStore::create_api_key(const ApiKey& key) {
  return insert_key(db_, key);
}

Result<std::optional<ApiKey>> SqliteReadStore::api_key_by_hash(std::string_view hash) {
  CX_CHECK(check_hash("API key hash", hash));
  CX_TRY(q, db_.query(std::string(kKeyCols) + "WHERE hash = ?"));
  CX_TRY(row, q->bind(1, hash).step());
  if (!row) return std::optional<ApiKey>{};
  return std::optional<ApiKey>{read_key(*q)};
}

Result<std::vector<ApiKey>> SqliteReadStore::api_keys(std::string_view user_id,
                                                      std::optional<KeyKind> kind) {
  CX_TRY(q, db_.query(std::string(kKeyCols) +
                      "WHERE user_id = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY id"));
  q->bind(1, user_id);
  if (kind) q->bind(2, to_string(*kind));
  std::vector<ApiKey> out;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    out.push_back(read_key(*q));
  }
  return out;
}

Result<bool> SqliteReadStore::revoke_api_key(std::string_view user_id, std::string_view prefix,
                                             Timestamp now) {
  CX_TRY(q, db_.query("UPDATE api_keys SET revoked_at = ? "
                      "WHERE user_id = ? AND prefix = ? AND revoked_at IS NULL"));
  CX_CHECK(q->bind_all(now, user_id, prefix).run());
  return db_.changes() == 1;
}

Result<bool> SqliteReadStore::rotate_api_key(std::string_view user_id, std::string_view old_prefix,
                                             const ApiKey& replacement, Timestamp now) {
  if (replacement.user_id != user_id)
    return fail(ErrorCode::InvalidArgument, "a rotated API key must keep its user");
  CX_TRY(sp, Savepoint::begin(db_));
  CX_TRY(revoked, revoke_api_key(user_id, old_prefix, now));
  if (!revoked) return false;  // the savepoint rolls back
  CX_TRY(inserted, insert_key(db_, replacement));
  if (!inserted) return false;
  CX_CHECK(sp.release());
  return true;
}

Result<bool> SqliteReadStore::touch_api_key(std::string_view hash, Timestamp now) {
  CX_TRY(q, db_.query("UPDATE api_keys SET last_used_at = ? WHERE hash = ?"));
  CX_CHECK(q->bind_all(now, hash).run());
  return db_.changes() == 1;
}

// ---------------------------------------------------------------- sessions

Result<bool> SqliteReadStore::create_session(const Session& s) {
  return insert_session(db_, s);
}

Result<std::optional<Session>> SqliteReadStore::session(std::string_view token_hash) {
  CX_CHECK(check_hash("session token hash", token_hash));
  CX_TRY(q, db_.query("SELECT token_hash, user_id, created_at, expires_at, revoked_at "
                      "FROM sessions WHERE token_hash = ?"));
  CX_TRY(row, q->bind(1, token_hash).step());
  if (!row) return std::optional<Session>{};
  return std::optional<Session>{Session{std::string(q->text(0)), std::string(q->text(1)),
                                        q->int64(2), q->int64(3), q->opt_int64(4)}};
}

Result<bool> SqliteReadStore::rotate_session(std::string_view old_hash, const Session& replacement,
                                             Timestamp now) {
  CX_CHECK(check_hash("session token hash", old_hash));
  CX_TRY(sp, Savepoint::begin(db_));
  // Write first: the UPDATE takes the write lock before anything is read, so a concurrent
  // rotation of the same token waits and then finds it revoked.
  CX_TRY(q, db_.query("UPDATE sessions SET revoked_at = ?1 WHERE token_hash = ?2 AND "
                      "user_id = ?3 AND revoked_at IS NULL AND expires_at > ?1"));
  CX_CHECK(q->bind_all(now, old_hash, replacement.user_id).run());
  if (db_.changes() != 1) return false;
  CX_TRY(inserted, insert_session(db_, replacement));
  if (!inserted) return false;
  CX_CHECK(sp.release());
  return true;
}

Result<bool> SqliteReadStore::revoke_session(std::string_view token_hash, Timestamp now) {
  CX_TRY(q, db_.query("UPDATE sessions SET revoked_at = ?1 "
                      "WHERE token_hash = ?2 AND revoked_at IS NULL AND expires_at > ?1"));
  CX_CHECK(q->bind_all(now, token_hash).run());
  return db_.changes() == 1;
}

Result<std::int64_t> SqliteReadStore::revoke_sessions_of(std::string_view user_id, Timestamp now) {
  CX_TRY(q, db_.query("UPDATE sessions SET revoked_at = ?1 "
                      "WHERE user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1"));
  CX_CHECK(q->bind_all(now, user_id).run());
  return db_.changes();
}

Result<std::int64_t> SqliteReadStore::purge_sessions(Timestamp now) {
  CX_TRY(q, db_.query("DELETE FROM sessions WHERE expires_at <= ?1 OR revoked_at < ?1"));
  CX_CHECK(q->bind_all(now).run());
  return db_.changes();
}

}  // namespace cx::store
