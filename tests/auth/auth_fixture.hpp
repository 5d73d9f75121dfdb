#pragma once
// Helpers for the auth tests: a temporary directory, a read store in it with one user, and
// Result unwrapping.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "core/error.hpp"
#include "store/sqlite_read_store.hpp"

namespace cx::auth::test {

/// A fresh directory under /tmp (mkdtemp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/cx_auth_test.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Unwraps a Result in a test, failing loudly with its message.
template <class T>
T ok(Result<T> r) {
  if (!r) throw std::runtime_error("unexpected error: " + r.error().message);
  return std::move(*r);
}
inline void ok(Result<void> r) {
  if (!r) throw std::runtime_error("unexpected error: " + r.error().message);
}

/// The error code of a failed Result (fails the test if it succeeded).
template <class T>
ErrorCode code_of(const Result<T>& r) {
  EXPECT_FALSE(r.has_value()) << "expected a failure";
  return r ? ErrorCode::Internal : r.error().code;
}

/// A store in a temporary directory with users "alice" and "bob".
struct StoreWithUsers {
  TempDir dir;
  std::unique_ptr<store::SqliteReadStore> store = ok(store::SqliteReadStore::open(dir / "r.db"));
  store::User alice{"alice", "alice@example.com", 1'000, {"trader"}};
  store::User bob{"bob", "bob@example.com", 1'000, {"admin", "trader"}};

  StoreWithUsers() {
    if (!ok(store->create_user(alice)) || !ok(store->create_user(bob)))
      throw std::runtime_error("could not create the test users");
  }
};

}  // namespace cx::auth::test
