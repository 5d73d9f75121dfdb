#pragma once
/// Numbered schema migrations. Each migration runs inside its own transaction together with the
/// row that records it in `schema_version`, so a migration is either wholly applied and recorded
/// or not at all. Opening a database whose schema is newer than the code knows is refused:
/// running old code against a newer schema could silently lose data.

#include <span>
#include <string_view>

#include "core/error.hpp"
#include "store/sqlite.hpp"

namespace cx::store {

struct Migration {
  int version;                   ///< 1, 2, 3... without gaps, in this order
  std::string_view description;  ///< recorded beside the version
  std::string_view sql;          ///< one or more statements
};

/// The highest version recorded in `schema_version` (0 for a database without one).
[[nodiscard]] Result<int> schema_version(Db& db);

/// Applies, in order, every migration above the database's version, each in its own
/// transaction, and returns the resulting version. Idempotent: a second call applies nothing.
/// Fails with Corrupt, changing nothing, when the database's version is above the highest in
/// `migrations`; with InvalidArgument when `migrations` is not numbered 1, 2, 3...; with the
/// failing statement's error (that migration rolled back, earlier ones kept) otherwise.
[[nodiscard]] Result<int> migrate(Db& db, std::span<const Migration> migrations);

}  // namespace cx::store
