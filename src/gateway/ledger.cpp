// Balances under one mutex; holds point straight at their user's account (unordered_map nodes
// never move), so settling or releasing needs no lookup.

#include "gateway/ledger.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "core/int128.hpp"
#include "gateway/pricing.hpp"
#include "core/string_map.hpp"

namespace cx::gateway {

namespace detail {

struct UserAccount {
  std::string_view id;  ///< the map's key (stable)
  std::int64_t available = 0;
  std::int64_t held = 0;
  std::int64_t granted = 0;
  bool changed = false;  ///< listed in LedgerState::changed_users
};

struct LedgerState {
  explicit LedgerState(LedgerOptions o) : options(o) {}

  const LedgerOptions options;
  mutable std::mutex mu;
  StringMap<UserAccount> users;
  StringMap<std::int64_t> earnings;
  std::int64_t fees = 0;
  std::int64_t granted = 0;  ///< total granted, all users
  // What changed since take_changed_rows() (nodes of unordered maps never move).
  std::vector<UserAccount*> changed_users;
  std::vector<std::string_view> changed_providers;  ///< keys of `earnings`, maybe repeated
  bool fees_changed = false;

  /// Caller holds `mu`.
  void touch(UserAccount& a) {
    if (a.changed) return;
    a.changed = true;
    changed_users.push_back(&a);
  }

  /// The account of `id`, or nullptr. Caller holds `mu`.
  UserAccount* find(std::string_view id) {
    auto it = users.find(id);
    return it == users.end() ? nullptr : &it->second;
  }

  /// Opens `id` with the signup credits (if the total allows). Caller holds `mu`.
  UserAccount& open(std::string_view id) {
    if (UserAccount* a = find(id)) return *a;
    auto [it, inserted] = users.emplace(std::string(id), UserAccount{});
    UserAccount& a = it->second;
    a.id = it->first;
    touch(a);
    std::int64_t total = 0;
    if (options.signup_credits > 0 &&
        !__builtin_add_overflow(granted, options.signup_credits, &total)) {
      granted = total;
      a.available = options.signup_credits;
      a.granted = options.signup_credits;
    }
    return a;
  }

  void release(UserAccount& a, std::int64_t amount) noexcept {
    std::lock_guard lock(mu);
    a.held -= amount;
    a.available += amount;
  }
};

}  // namespace detail

namespace {

using detail::LedgerState;
using detail::UserAccount;

constexpr i128 kInt64Max = std::numeric_limits<std::int64_t>::max();

void check_options(const LedgerOptions& o) {
  if (o.signup_credits < 0) throw std::invalid_argument("Ledger: signup_credits must be >= 0");
  if (o.provider_share_bps > 10'000)
    throw std::invalid_argument("Ledger: provider_share_bps must be <= 10000");
}

}  // namespace

// ---- Hold ----

Hold::Hold(std::shared_ptr<LedgerState> state, UserAccount* account, std::int64_t amount) noexcept
    : state_(std::move(state)), account_(account), amount_(amount) {}

Hold::Hold(Hold&& other) noexcept
    : state_(std::move(other.state_)),
      account_(std::exchange(other.account_, nullptr)),
      amount_(std::exchange(other.amount_, 0)) {}

Hold& Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    account_ = std::exchange(other.account_, nullptr);
    amount_ = std::exchange(other.amount_, 0);
  }
  return *this;
}

Hold::~Hold() {
  release();
}

std::string_view Hold::user() const noexcept {
  return account_ ? account_->id : "";
}

void Hold::release() noexcept {
  if (account_ == nullptr) return;
  state_->release(*account_, amount_);
  account_ = nullptr;
  amount_ = 0;
  state_.reset();
}

// ---- Ledger ----

Ledger::Ledger(LedgerOptions options) {
  check_options(options);
  state_ = std::make_shared<LedgerState>(options);
}

Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;
Ledger::~Ledger() = default;

const LedgerOptions& Ledger::options() const noexcept {
  return state_->options;
}

void Ledger::open(std::string_view user_id) {
  if (user_id.empty()) return;
  std::lock_guard lock(state_->mu);
  state_->open(user_id);
}

Result<void> Ledger::grant(std::string_view user, std::int64_t amount) {
  if (user.empty()) return fail(ErrorCode::InvalidArgument, "grant: empty user id");
  if (amount <= 0) return fail(ErrorCode::InvalidArgument, "grant: amount must be positive");
  LedgerState& s = *state_;
  std::lock_guard lock(s.mu);
  // Room for the signup credits too if the account is new, so that nothing changes on failure.
  const std::int64_t signup = s.find(user) ? 0 : s.options.signup_credits;
  std::int64_t total = 0;
  if (__builtin_add_overflow(s.granted, amount, &total) ||
      __builtin_add_overflow(total, signup, &total))
    return fail(ErrorCode::Overflow, "grant: total credits would overflow");
  UserAccount& a = s.open(user);
  a.available += amount;
  a.granted += amount;
  s.granted += amount;
  s.touch(a);
  return {};
}

Result<Hold> Ledger::reserve(std::string_view user, std::int64_t amount) {
  if (amount < 0) return fail(ErrorCode::InvalidArgument, "reserve: amount must not be negative");
  std::int64_t have = 0;
  {
    std::lock_guard lock(state_->mu);
    UserAccount* a = state_->find(user);
    if (a == nullptr) return fail(ErrorCode::NotFound, std::string("unknown user: ").append(user));
    if (a->available >= amount) {
      a->available -= amount;
      a->held += amount;
      return Hold(state_, a, amount);
    }
    have = a->available;
  }
  std::string msg = "insufficient credits: need ";
  msg.append(format_credits(amount)).append(", have ").append(format_credits(have));
  return fail(ErrorCode::Rejected, std::move(msg));
}

Settlement Ledger::settle(Hold&& hold, std::int64_t cost, std::string_view provider_id) {
  cost = std::max<std::int64_t>(cost, 0);
  Settlement out;
  if (!hold.active()) {
    out.uncollected = cost;
    return out;
  }
  LedgerState& s = *hold.state_;
  UserAccount& a = *hold.account_;
  const std::int64_t amount = hold.amount_;
  hold.account_ = nullptr;
  hold.amount_ = 0;
  const std::uint32_t bps = provider_id.empty() ? 0 : s.options.provider_share_bps;
  {
    std::lock_guard lock(s.mu);
    a.held -= amount;
    if (cost <= amount) {
      a.available += amount - cost;
      out.debited = cost;
    } else {
      const std::int64_t extra = std::min(cost - amount, a.available);
      a.available -= extra;
      out.debited = amount + extra;
      out.uncollected = cost - out.debited;
    }
    out.provider_share = static_cast<std::int64_t>(i128{out.debited} * bps / 10'000);
    out.platform_fee = out.debited - out.provider_share;
    if (out.debited != 0) s.touch(a);
    if (out.provider_share > 0) {
      auto it = s.earnings.find(provider_id);
      if (it == s.earnings.end()) it = s.earnings.emplace(std::string(provider_id), 0).first;
      it->second += out.provider_share;
      s.changed_providers.push_back(it->first);
    }
    if (out.platform_fee != 0) s.fees_changed = true;
    s.fees += out.platform_fee;
  }
  hold.state_.reset();
  return out;
}

bool Ledger::has_user(std::string_view user) const {
  std::lock_guard lock(state_->mu);
  return state_->find(user) != nullptr;
}

std::int64_t Ledger::available(std::string_view user) const {
  std::lock_guard lock(state_->mu);
  const UserAccount* a = state_->find(user);
  return a ? a->available : 0;
}

std::int64_t Ledger::held(std::string_view user) const {
  std::lock_guard lock(state_->mu);
  const UserAccount* a = state_->find(user);
  return a ? a->held : 0;
}

std::optional<UserBalance> Ledger::balance(std::string_view user) const {
  std::lock_guard lock(state_->mu);
  const UserAccount* a = state_->find(user);
  if (a == nullptr) return std::nullopt;
  return UserBalance{a->available, a->held, a->granted};
}

std::int64_t Ledger::earnings(std::string_view provider) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->earnings.find(provider);
  return it == state_->earnings.end() ? 0 : it->second;
}

std::int64_t Ledger::platform_fees() const {
  std::lock_guard lock(state_->mu);
  return state_->fees;
}

LedgerTotals Ledger::totals() const {
  std::lock_guard lock(state_->mu);
  LedgerTotals t;
  t.granted = state_->granted;
  t.platform_fees = state_->fees;
  t.users = state_->users.size();
  t.providers = state_->earnings.size();
  // Every partial sum is bounded by the total granted (conservation), so none overflows.
  for (const auto& [id, a] : state_->users) {
    t.available += a.available;
    t.held += a.held;
  }
  for (const auto& [id, e] : state_->earnings) t.earnings += e;
  return t;
}

Result<void> Ledger::audit() const {
  const LedgerState& s = *state_;
  std::lock_guard lock(s.mu);
  i128 money = s.fees;
  i128 granted = 0;
  if (s.fees < 0) return fail(ErrorCode::Corrupt, "audit: negative platform fees");
  for (const auto& [id, a] : s.users) {
    if (a.available < 0 || a.held < 0 || a.granted < 0)
      return fail(ErrorCode::Corrupt, std::string("audit: negative balance for user ").append(id));
    money += i128{a.available} + a.held;
    granted += a.granted;
  }
  for (const auto& [id, e] : s.earnings) {
    if (e < 0)
      return fail(ErrorCode::Corrupt, std::string("audit: negative earnings for ").append(id));
    money += e;
  }
  if (granted != s.granted)
    return fail(ErrorCode::Corrupt, std::string("audit: users' grants add up to ")
                                        .append(std::to_string(static_cast<std::int64_t>(granted)))
                                        .append(", total granted is ")
                                        .append(std::to_string(s.granted)));
  if (money != s.granted)
    return fail(ErrorCode::Corrupt,
                std::string("audit: balances + earnings + fees = ")
                    .append(money > kInt64Max ? std::string("(overflow)")
                                              : std::to_string(static_cast<std::int64_t>(money)))
                    .append(", total granted is ")
                    .append(std::to_string(s.granted)));
  return {};
}

std::vector<AccountRow> Ledger::export_rows() const {
  std::vector<AccountRow> rows;
  {
    std::lock_guard lock(state_->mu);
    rows.reserve(state_->users.size() + state_->earnings.size() + 1);
    for (const auto& [id, a] : state_->users)
      rows.push_back(AccountRow{AccountKind::User, id, a.available + a.held, a.granted});
    for (const auto& [id, e] : state_->earnings)
      rows.push_back(AccountRow{AccountKind::Provider, id, e, 0});
    rows.push_back(AccountRow{AccountKind::Platform, "platform", state_->fees, 0});
  }
  std::sort(rows.begin(), rows.end(), [](const AccountRow& x, const AccountRow& y) {
    if (x.kind != y.kind) return x.kind < y.kind;
    return x.id < y.id;
  });
  return rows;
}

std::vector<AccountRow> Ledger::take_changed_rows() {
  std::vector<AccountRow> rows;
  {
    LedgerState& s = *state_;
    std::lock_guard lock(s.mu);
    rows.reserve(s.changed_users.size() + s.changed_providers.size() + 1);
    for (UserAccount* a : s.changed_users) {
      rows.push_back(
          AccountRow{AccountKind::User, std::string(a->id), a->available + a->held, a->granted});
      a->changed = false;
    }
    for (std::string_view id : s.changed_providers) {
      rows.push_back(
          AccountRow{AccountKind::Provider, std::string(id), s.earnings.find(id)->second, 0});
    }
    if (s.fees_changed) rows.push_back(AccountRow{AccountKind::Platform, "platform", s.fees, 0});
    s.changed_users.clear();
    s.changed_providers.clear();
    s.fees_changed = false;
  }
  std::sort(rows.begin(), rows.end(), [](const AccountRow& x, const AccountRow& y) {
    if (x.kind != y.kind) return x.kind < y.kind;
    return x.id < y.id;
  });
  // A provider paid twice since the last call is listed twice: keep one row.
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const AccountRow& x, const AccountRow& y) {
                           return x.kind == y.kind && x.id == y.id;
                         }),
             rows.end());
  return rows;
}

Result<Ledger> Ledger::restore(LedgerOptions options, std::span<const AccountRow> rows) {
  Ledger ledger(options);
  LedgerState& s = *ledger.state_;
  i128 money = 0;
  i128 granted = 0;
  bool platform_seen = false;
  for (const AccountRow& r : rows) {
    if (r.available < 0 || r.granted < 0)
      return fail(ErrorCode::Corrupt, std::string("restore: negative amount for ").append(r.id));
    money += r.available;
    switch (r.kind) {
      case AccountKind::User: {
        if (r.id.empty()) return fail(ErrorCode::Corrupt, "restore: empty user id");
        auto [it, inserted] = s.users.emplace(r.id, UserAccount{});
        if (!inserted)
          return fail(ErrorCode::Corrupt, std::string("restore: duplicate user ").append(r.id));
        it->second = UserAccount{it->first, r.available, 0, r.granted};
        granted += r.granted;
        break;
      }
      case AccountKind::Provider: {
        if (r.id.empty()) return fail(ErrorCode::Corrupt, "restore: empty provider id");
        if (r.granted != 0)
          return fail(ErrorCode::Corrupt,
                      std::string("restore: provider row with a grant: ").append(r.id));
        if (!s.earnings.emplace(r.id, r.available).second)
          return fail(ErrorCode::Corrupt, std::string("restore: duplicate provider ").append(r.id));
        break;
      }
      case AccountKind::Platform: {
        if (platform_seen) return fail(ErrorCode::Corrupt, "restore: more than one platform row");
        if (r.granted != 0) return fail(ErrorCode::Corrupt, "restore: platform row with a grant");
        platform_seen = true;
        s.fees = r.available;
        break;
      }
      default:
        return fail(ErrorCode::Corrupt, "restore: unknown account kind");
    }
  }
  if (granted > kInt64Max) return fail(ErrorCode::Corrupt, "restore: total granted overflows");
  if (money != granted)
    return fail(ErrorCode::Corrupt,
                "restore: rows do not balance (sum of balances, earnings and "
                "fees differs from the sum granted)");
  s.granted = static_cast<std::int64_t>(granted);
  return ledger;
}

}  // namespace cx::gateway
