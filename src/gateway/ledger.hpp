#pragma once
/// Credits: what users may spend, what is held for requests in flight, what providers have
/// earned and what the platform has kept. Money only moves between these accounts; it enters
/// only by grants (signup credits and admin grants) and is never created or destroyed
/// otherwise, which `audit` checks:
///
///   sum over users (available + held) + sum over providers (earnings) + platform fees
///     == total granted
///
/// A request reserves its maximum cost (`reserve` -> `Hold`), runs, and is settled at its
/// actual cost (`settle`), which refunds the rest of the hold, or charges the available balance
/// for an overrun, down to zero at most. The debit is split between the provider
/// (provider_share_bps, rounded down) and the platform (the rest, so nothing is lost to
/// rounding).
///
/// Threading: every member may be called from any thread. One mutex guards all balances; each
/// critical section is a hash lookup and a few additions (no allocation except when an account
/// is first created; messages are formatted outside the lock).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cx::gateway {

struct LedgerOptions {
  std::int64_t signup_credits = 0;          ///< micro-credits granted when a user is opened
  std::uint32_t provider_share_bps = 7000;  ///< provider's share of each debit, in 1/10000
};

/// The outcome of settling a hold. debited == provider_share + platform_fee exactly;
/// debited + uncollected == the cost asked for (negative costs count as 0).
struct Settlement {
  std::int64_t debited = 0;         ///< taken from the user (hold first, then available)
  std::int64_t provider_share = 0;  ///< floor(debited * provider_share_bps / 10000)
  std::int64_t platform_fee = 0;    ///< debited - provider_share
  std::int64_t uncollected = 0;     ///< cost the user could not cover (balance reached zero)
};

struct UserBalance {
  std::int64_t available = 0;  ///< spendable now
  std::int64_t held = 0;       ///< reserved by requests in flight
  std::int64_t granted = 0;    ///< everything ever granted to this user (signup + admin)
};

struct LedgerTotals {
  std::int64_t granted = 0;  ///< signup credits + admin grants, all users
  std::int64_t available = 0;
  std::int64_t held = 0;
  std::int64_t earnings = 0;  ///< all providers
  std::int64_t platform_fees = 0;
  std::size_t users = 0;
  std::size_t providers = 0;
};

enum class AccountKind : std::uint8_t { User, Provider, Platform };

/// One saved account. User: available (including anything held when exported: holds are
/// in-flight requests and are not persisted, so their money is back with the user after a
/// reload) and granted. Provider: available = earnings, granted = 0. Platform (one row, any
/// id): available = fees, granted = 0.
struct AccountRow {
  AccountKind kind = AccountKind::User;
  std::string id;
  std::int64_t available = 0;
  std::int64_t granted = 0;
};

namespace detail {
struct LedgerState;
struct UserAccount;
}  // namespace detail

/// Money reserved for one request. Move-only. Destroying an unsettled hold (or calling
/// `release`) returns its money to the user's available balance. A hold keeps the ledger's
/// state alive, so it may safely outlive the `Ledger` object. Not itself thread-safe: one
/// owner at a time (the request that made it).
class Hold {
 public:
  Hold() noexcept = default;
  Hold(Hold&& other) noexcept;
  Hold& operator=(Hold&& other) noexcept;
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  ~Hold();

  /// Whether the hold still reserves money (false once settled, released or moved from).
  [[nodiscard]] bool active() const noexcept { return account_ != nullptr; }
  /// Micro-credits reserved (0 when inactive).
  [[nodiscard]] std::int64_t amount() const noexcept { return amount_; }
  /// The user it belongs to ("" when inactive).
  [[nodiscard]] std::string_view user() const noexcept;

  /// Returns the money to the user's available balance now. No-op when inactive.
  void release() noexcept;

 private:
  friend class Ledger;
  Hold(std::shared_ptr<detail::LedgerState> state, detail::UserAccount* account,
       std::int64_t amount) noexcept;

  std::shared_ptr<detail::LedgerState> state_;
  detail::UserAccount* account_ = nullptr;
  std::int64_t amount_ = 0;
};

class Ledger {
 public:
  /// Throws std::invalid_argument if signup_credits < 0 or provider_share_bps > 10000
  /// (start-up configuration errors). A moved-from Ledger may only be destroyed or assigned.
  explicit Ledger(LedgerOptions options = {});
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  ~Ledger();

  /// Creates the user's account with the signup credits (counted as a grant; none if the total
  /// granted would overflow int64) if it does not exist; no-op if it does or if `user_id` is
  /// empty.
  void open(std::string_view user_id);

  /// Adds `amount` (> 0) micro-credits to the user, opening the account first if needed.
  /// Errors: InvalidArgument (empty user, amount <= 0), Overflow (total granted would not fit
  /// an int64; nothing changes).
  [[nodiscard]] Result<void> grant(std::string_view user, std::int64_t amount);

  /// Moves `amount` (>= 0) from the user's available balance to held and returns the hold.
  /// Errors: InvalidArgument (amount < 0); NotFound (no such user); Rejected, only for
  /// "insufficient credits: need X, have Y" (X, Y in credits with six decimals): callers may
  /// treat ErrorCode::Rejected from reserve as insufficient credits (HTTP 402). On error
  /// nothing changes.
  [[nodiscard]] Result<Hold> reserve(std::string_view user, std::int64_t amount);

  /// Charges `cost` (negative counts as 0) for the request behind `hold` and credits
  /// `provider_id` with its share (an empty provider id: the platform keeps everything).
  /// Up to the hold's amount is taken from the hold and the rest of the hold is refunded; a
  /// cost above the hold is taken from the available balance as far as it goes, never below
  /// zero, and the remainder is reported as `uncollected`. Settling an inactive hold charges
  /// nothing (uncollected = cost). The hold becomes inactive.
  Settlement settle(Hold&& hold, std::int64_t cost, std::string_view provider_id);

  // Reads (0 / nullopt for unknown ids).
  [[nodiscard]] bool has_user(std::string_view user) const;
  [[nodiscard]] std::int64_t available(std::string_view user) const;
  [[nodiscard]] std::int64_t held(std::string_view user) const;
  [[nodiscard]] std::optional<UserBalance> balance(std::string_view user) const;
  [[nodiscard]] std::int64_t earnings(std::string_view provider) const;
  [[nodiscard]] std::int64_t platform_fees() const;
  [[nodiscard]] LedgerTotals totals() const;
  [[nodiscard]] const LedgerOptions& options() const noexcept;

  /// Checks conservation (see above), that no balance is negative and that the users' granted
  /// amounts add up to the total granted. Corrupt with the figures if not. O(accounts), under
  /// the lock: for tests, admin checks and after a restore, not for every request.
  [[nodiscard]] Result<void> audit() const;

  /// A consistent snapshot of every account (one lock), sorted by kind then id; see AccountRow.
  [[nodiscard]] std::vector<AccountRow> export_rows() const;

  /// The rows of the accounts whose row changed since the last call (or since the ledger was
  /// built or restored), taken under one lock and sorted like export_rows(); the set is then
  /// empty. A row changes on opening, grant and settle; reserve and a released hold move money
  /// between available and held only, which one row holds together. Saving these rows after a
  /// full save keeps a store equal to export_rows() at the time of the call.
  [[nodiscard]] std::vector<AccountRow> take_changed_rows();

  /// Rebuilds a ledger from `export_rows` output. Errors (Corrupt): an empty user or provider
  /// id, a duplicate id within a kind, more than one platform row, a negative amount, a
  /// provider or platform row with granted != 0, a user whose granted exceeds int64 in total,
  /// or rows that do not balance (sum of available != sum of granted). Throws like the
  /// constructor on bad options.
  [[nodiscard]] static Result<Ledger> restore(LedgerOptions options,
                                              std::span<const AccountRow> rows);

 private:
  std::shared_ptr<detail::LedgerState> state_;
};

}  // namespace cx::gateway
