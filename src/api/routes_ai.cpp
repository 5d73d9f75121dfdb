// The AI gateway's routes (docs/gateway.md, docs/openapi.yaml):
// - /api/v1/...: OpenAI-compatible services for a userAk (Bearer) or a session, errors in
//   OpenAI's shape;
// - /api/providers/...: node registration, heartbeats, leaving, a provider's nodes and earnings
//   (providerAk as Bearer or X-Provider-Ak, or a session);
// - /api/user/credits, /api/user/usage; /api/admin/credits and /api/admin/gateway.
#include "api/ai_gateway.hpp"
#include "api/api.hpp"
#include "api/http_util.hpp"

namespace cx::api {

namespace {

/// The OpenAI-shaped error for an authentication or rate-limit failure.
net::Response openai_auth_error(const Error& e) {
  if (e.error_class() == ErrorClass::Internal) {
    return openai_error(500, "the key could not be checked: " + e.message, "server_error",
                        "internal_error");
  }
  if (e.code == ErrorCode::Forbidden) {
    return openai_error(403, e.message, "invalid_request_error", "wrong_key_kind");
  }
  return openai_error(401, e.message, "invalid_request_error", "invalid_api_key");
}

}  // namespace

void Api::add_ai_routes(net::Router& r) {
  AiGateway& gw = *gateway_;

  // ---- services ----
  auto user_of = [this](const net::Request& req) -> Result<Principal> {
    return authenticate_as(req, store::KeyKind::UserAk, "x-user-ak");
  };
  auto service_route = [this, &gw, user_of](gateway::Service s) {
    return [this, &gw, user_of, s](const net::Request& req, net::Reply reply) {
      auto who = user_of(req);
      if (!who) return reply(openai_auth_error(who.error()));
      if (auto busy = limited(req, who->user_id)) {
        net::Response out =
            openai_error(429, "rate limit reached; retry later", "requests", "rate_limit_exceeded");
        for (const auto& [k, v] : busy->headers) {
          if (net::iequals(k, "retry-after")) out.headers.emplace_back("retry-after", v);
        }
        return reply(std::move(out));
      }
      gw.serve(s, who->user_id, req, std::move(reply));
    };
  };
  using gateway::Service;
  const std::pair<const char*, Service> services[] = {
      {"/api/v1/chat/completions", Service::Chat},
      {"/api/v1/embeddings", Service::Embeddings},
      {"/api/v1/image", Service::Image},
      {"/api/v1/video", Service::Video},
      {"/api/v1/tts", Service::Tts},
      {"/api/v1/scrape", Service::Scrape},
      {"/api/v1/m/caption", Service::Caption},
      {"/api/v1/m/detect", Service::Detect},
      {"/api/v1/m/point", Service::Point},
      {"/api/v1/m/query", Service::Query},
  };
  for (const auto& [path, s] : services) r.add_async(net::Method::Post, path, service_route(s));
  r.get("/api/v1/models", [&gw](const net::Request&) { return gw.models(); });

  // ---- providers ----
  auto provider_of = [this](const net::Request& req) -> Result<Principal> {
    return authenticate_as(req, store::KeyKind::ProviderAk, "x-provider-ak");
  };
  r.add_async(net::Method::Post, "/api/providers/nodes",
              [this, &gw, provider_of](const net::Request& req, net::Reply reply) {
                auto who = provider_of(req);
                if (!who) return reply(error_response(who.error()));
                if (auto busy = limited(req, who->user_id)) return reply(std::move(*busy));
                gw.register_node(who->user_id, req, std::move(reply));
              });
  r.get("/api/providers/nodes", [&gw, provider_of](const net::Request& req) {
    auto who = provider_of(req);
    if (!who) return error_response(who.error());
    return gw.nodes_of(who->user_id);
  });
  r.post("/api/providers/nodes/{nodeId}/heartbeat", [&gw, provider_of](const net::Request& req) {
    auto who = provider_of(req);
    if (!who) return error_response(who.error());
    return gw.heartbeat(who->user_id, *req.param("nodeId"), req);
  });
  r.del("/api/providers/nodes/{nodeId}", [&gw, provider_of](const net::Request& req) {
    auto who = provider_of(req);
    if (!who) return error_response(who.error());
    return gw.leave(who->user_id, *req.param("nodeId"));
  });
  r.get("/api/providers/earnings", [&gw, provider_of](const net::Request& req) {
    auto who = provider_of(req);
    if (!who) return error_response(who.error());
    return gw.earnings(who->user_id);
  });

  // ---- users and admins ----
  r.get("/api/user/credits", [&gw, user_of](const net::Request& req) {
    auto who = user_of(req);
    if (!who) return error_response(who.error());
    return gw.credits(who->user_id);
  });
  r.get("/api/user/usage", [&gw, user_of](const net::Request& req) {
    auto who = user_of(req);
    if (!who) return error_response(who.error());
    return gw.usage(who->user_id);
  });
  r.post("/api/admin/credits", [this, &gw](const net::Request& req) {
    auto who = session_principal(req);
    if (!who) return error_response(who.error());
    if (!who->admin()) return error_response(403, "FORBIDDEN", "admin only");
    return gw.grant(req);
  });
  r.get("/api/admin/gateway", [this, &gw](const net::Request& req) {
    auto who = session_principal(req);
    if (!who) return error_response(who.error());
    if (!who->admin()) return error_response(403, "FORBIDDEN", "admin only");
    return gw.overview();
  });
}

}  // namespace cx::api
