#pragma once
/// The read store's schema, as numbered migrations (docs/read-store.md describes the tables).
/// Append a migration to change the schema; never edit one that has shipped.

#include <span>

#include "store/migrations.hpp"

namespace cx::store {

std::span<const Migration> read_store_migrations() noexcept;

}  // namespace cx::store
