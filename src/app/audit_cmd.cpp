#include "app/audit_cmd.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <iostream>
#include <string>

#include "journal/durable_exchange.hpp"

namespace cx::app {

namespace json = boost::json;

int run_audit(std::span<const std::string_view> args) {
  if (args.size() != 1 || args[0].starts_with('-')) {
    std::cerr << "usage: cxmpute audit <data-dir>\n"
                 "  loads the exchange state in <data-dir> (snapshot + journal, read only) and\n"
                 "  checks that money is conserved; exit 0 when it is\n";
    return 2;
  }
  const std::string dir(args[0]);
  journal::RecoveryInfo info;
  auto x = journal::load_read_only(dir, engine::ExchangeConfig{}, &info);
  if (!x) {
    std::cout << json::serialize(
                     json::object{{"dir", dir}, {"ok", false}, {"error", x.error().message}})
              << "\n";
    return 1;
  }
  std::size_t open = 0;
  (*x)->for_each_open_order([&](const engine::Market&, const engine::Order&) { ++open; });
  const engine::AuditReport report = (*x)->audit();
  json::array problems;
  for (const auto& p : report.problems) problems.emplace_back(p);
  json::array skipped;
  for (const auto& s : info.skipped_snapshots) skipped.emplace_back(s);
  std::cout << json::serialize(json::object{{"dir", dir},
                                            {"ok", report.ok()},
                                            {"lastSeq", info.last_seq},
                                            {"snapshotSeq", info.snapshot_seq},
                                            {"replayed", info.replayed},
                                            {"skippedSnapshots", skipped},
                                            {"traders", (*x)->trader_count()},
                                            {"markets", (*x)->market_count()},
                                            {"openOrders", open},
                                            {"problems", problems}})
            << "\n";
  return report.ok() ? 0 : 1;
}

}  // namespace cx::app
