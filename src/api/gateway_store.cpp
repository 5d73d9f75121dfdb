#include "api/gateway_store.hpp"

namespace cx::api {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS gw_accounts(
  kind INTEGER NOT NULL, id TEXT NOT NULL, available INTEGER NOT NULL, granted INTEGER NOT NULL,
  PRIMARY KEY(kind, id));
CREATE TABLE IF NOT EXISTS gw_usage(
  seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL, user_id TEXT NOT NULL,
  provider_id TEXT NOT NULL, node_id TEXT NOT NULL, service TEXT NOT NULL, model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, images INTEGER NOT NULL,
  media_ms INTEGER NOT NULL, requests INTEGER NOT NULL, cost INTEGER NOT NULL,
  provider_share INTEGER NOT NULL, platform_fee INTEGER NOT NULL, latency_us INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL, status INTEGER NOT NULL, cut_short INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS gw_usage_ts ON gw_usage(ts_ms);
)";

}  // namespace

Result<GatewayStore> GatewayStore::open(const std::filesystem::path& path) {
  auto db = store::Db::open(path);
  if (!db) return std::unexpected(db.error());
  if (auto r = db->exec(kSchema); !r) return std::unexpected(r.error());
  return GatewayStore(std::move(*db));
}

Result<std::vector<gateway::AccountRow>> GatewayStore::accounts() {
  auto q = db_.query("SELECT kind, id, available, granted FROM gw_accounts ORDER BY kind, id");
  if (!q) return std::unexpected(q.error());
  std::vector<gateway::AccountRow> out;
  for (;;) {
    auto row = (*q)->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    gateway::AccountRow a;
    const auto kind = (*q)->int64(0);
    if (kind < 0 || kind > 2) return fail(ErrorCode::Corrupt, "gw_accounts: unknown kind");
    a.kind = static_cast<gateway::AccountKind>(kind);
    a.id = std::string((*q)->text(1));
    a.available = (*q)->int64(2);
    a.granted = (*q)->int64(3);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<gateway::UsageRecord>> GatewayStore::usage_since(std::int64_t since_ms) {
  auto q = db_.query(
      "SELECT request_id, user_id, provider_id, node_id, service, model, input_tokens, "
      "output_tokens, images, media_ms, requests, cost, provider_share, platform_fee, "
      "latency_us, ts_ms, status, cut_short FROM gw_usage WHERE ts_ms >= ? ORDER BY seq");
  if (!q) return std::unexpected(q.error());
  (*q)->bind(1, since_ms);
  std::vector<gateway::UsageRecord> out;
  for (;;) {
    auto row = (*q)->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const store::Stmt& s = **q;
    auto service = gateway::service_from_string(s.text(4));
    if (!service) continue;
    gateway::UsageRecord r;
    r.request_id = std::string(s.text(0));
    r.user_id = std::string(s.text(1));
    r.provider_id = std::string(s.text(2));
    r.node_id = std::string(s.text(3));
    r.service = *service;
    r.model = std::string(s.text(5));
    r.usage.input_tokens = s.int64(6);
    r.usage.output_tokens = s.int64(7);
    r.usage.images = s.int64(8);
    r.usage.media_ms = s.int64(9);
    r.usage.requests = s.int64(10);
    r.cost = s.int64(11);
    r.provider_share = s.int64(12);
    r.platform_fee = s.int64(13);
    r.latency_us = s.int64(14);
    r.ts_ms = s.int64(15);
    r.status = static_cast<int>(s.int64(16));
    r.cut_short = s.int64(17) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

Result<void> GatewayStore::save(std::span<const gateway::AccountRow> accounts,
                                std::span<const gateway::UsageRecord> records) {
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  for (const auto& a : accounts) {
    auto q = db_.query(
        "INSERT INTO gw_accounts(kind, id, available, granted) VALUES(?, ?, ?, ?) "
        "ON CONFLICT(kind, id) DO UPDATE SET available = excluded.available, "
        "granted = excluded.granted");
    if (!q) return std::unexpected(q.error());
    (*q)->bind_all(static_cast<std::int64_t>(a.kind), a.id, a.available, a.granted);
    if (auto r = (*q)->run(); !r) return r;
  }
  for (const auto& r : records) {
    auto q = db_.query(
        "INSERT INTO gw_usage(request_id, user_id, provider_id, node_id, service, model, "
        "input_tokens, output_tokens, images, media_ms, requests, cost, provider_share, "
        "platform_fee, latency_us, ts_ms, status, cut_short) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!q) return std::unexpected(q.error());
    (*q)->bind_all(r.request_id, r.user_id, r.provider_id, r.node_id, to_string(r.service), r.model,
                   r.usage.input_tokens, r.usage.output_tokens, r.usage.images, r.usage.media_ms,
                   r.usage.requests, r.cost, r.provider_share, r.platform_fee, r.latency_us,
                   r.ts_ms, static_cast<std::int64_t>(r.status), r.cut_short);
    if (auto x = (*q)->run(); !x) return x;
  }
  return tx->commit();
}

}  // namespace cx::api
