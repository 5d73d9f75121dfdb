#include "store/records.hpp"

#include "store/codes.hpp"

namespace cx::store {

std::string_view to_string(KeyKind k) noexcept {
  switch (k) {
    case KeyKind::UserAk:
      return "userAk";
    case KeyKind::TraderAk:
      return "traderAk";
    case KeyKind::ProviderAk:
      return "providerAk";
  }
  return "userAk";
}

std::optional<KeyKind> key_kind_from(std::string_view s) noexcept {
  return codes::parse(s, KeyKind::ProviderAk);
}

std::string_view to_string(OrderStatus s) noexcept {
  switch (s) {
    case OrderStatus::Open:
      return "OPEN";
    case OrderStatus::Partial:
      return "PARTIAL";
    case OrderStatus::Filled:
      return "FILLED";
    case OrderStatus::Cancelled:
      return "CANCELLED";
    case OrderStatus::Expired:
      return "EXPIRED";
    case OrderStatus::Rejected:
      return "REJECTED";
  }
  return "OPEN";
}

std::optional<OrderStatus> order_status_from(std::string_view s) noexcept {
  return codes::parse(s, OrderStatus::Rejected);
}

std::string_view to_string(IncomeKind k) noexcept {
  switch (k) {
    case IncomeKind::Funding:
      return "FUNDING";
    case IncomeKind::Settlement:
      return "SETTLEMENT";
    case IncomeKind::SettlementHaircut:
      return "SETTLEMENT_HAIRCUT";
    case IncomeKind::LiquidationPenalty:
      return "LIQUIDATION_PENALTY";
    case IncomeKind::InsurancePaid:
      return "INSURANCE_PAID";
    case IncomeKind::InsuranceShortfall:
      return "INSURANCE_SHORTFALL";
  }
  return "FUNDING";
}

std::optional<IncomeKind> income_kind_from(std::string_view s) noexcept {
  return codes::parse(s, IncomeKind::InsuranceShortfall);
}

}  // namespace cx::store
