// Accounts: email-code login, sessions (refresh, logout), the user's profile and API keys.
#include <boost/json/serialize.hpp>
#include <future>

#include "api/api.hpp"
#include "api/http_util.hpp"
#include "auth/api_keys.hpp"
#include "auth/crypto.hpp"
#include "auth/email.hpp"
#include "auth/sessions.hpp"

namespace cx::api {

namespace json = boost::json;

namespace {

constexpr store::KeyKind kKinds[] = {store::KeyKind::UserAk, store::KeyKind::TraderAk,
                                     store::KeyKind::ProviderAk};

json::object key_json(const store::ApiKey& k) {
  json::object j{{"prefix", k.prefix},
                 {"kind", store::to_string(k.kind)},
                 {"label", k.label},
                 {"createdAt", k.created_at},
                 {"active", k.active()}};
  j["lastUsedAt"] = k.last_used_at ? json::value(*k.last_used_at) : json::value(nullptr);
  j["revokedAt"] = k.revoked_at ? json::value(*k.revoked_at) : json::value(nullptr);
  return j;
}

json::object issued_json(const auth::IssuedKey& k) {
  json::object j = key_json(k.record);
  j["secret"] = k.secret;  // shown once
  return j;
}

json::object user_json(const store::User& u) {
  json::array roles;
  for (const auto& r : u.roles) roles.push_back(json::string(r));
  return json::object{{"id", u.id},
                      {"traderId", u.id},
                      {"email", u.email},
                      {"createdAt", u.created_at},
                      {"roles", std::move(roles)}};
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace

void Api::add_user_routes(net::Router& r) {
  // ---- request a login code ----
  r.post("/api/auth/login/request", [this](const net::Request& req) {
    auto body = body_object(req);
    if (!body) return error_response(body.error());
    const auto raw = string_field(*body, "email");
    if (!raw) return error_response(400, "INVALID_ARGUMENT", "email is required");
    const auto email = auth::normalize_email(*raw);
    if (!email) return error_response(400, "INVALID_EMAIL", "not an email address");
    std::int64_t retry = 0;
    auto code = codes_.issue(*email, req.remote_address, now(), &retry);
    if (!code) {
      net::Response resp = error_response(code.error());
      if (code.error().code == ErrorCode::RateLimited) {
        resp.headers.emplace_back("Retry-After",
                                  std::to_string(std::max<std::int64_t>(1, (retry + 999) / 1000)));
      }
      return resp;
    }
    const std::int64_t minutes = options_.login.ttl_ms / 60000;
    auto sent = mailer_.send(*email, options_.login_subject,
                             "Your Cxmpute login code is " + *code + ".\r\nIt expires in " +
                                 std::to_string(minutes) +
                                 " minutes. If you did not ask for it, ignore this message.\r\n");
    if (!sent) return error_response(503, "MAIL_UNAVAILABLE", sent.error().message);
    return json_response(json::object{{"sent", true}, {"expiresInMs", options_.login.ttl_ms}});
  });

  // ---- verify it: first time, create the user, trader and keys together ----
  r.post("/api/auth/login/verify", [this](const net::Request& req) {
    auto body = body_object(req);
    if (!body) return error_response(body.error());
    const auto raw = string_field(*body, "email");
    const auto code = string_field(*body, "code");
    if (!raw || !code)
      return error_response(400, "INVALID_ARGUMENT", "email and code are required");
    const auto email = auth::normalize_email(*raw);
    if (!email) return error_response(400, "INVALID_EMAIL", "not an email address");
    if (auto l = limited(req, "login:" + *email)) return std::move(*l);
    const Timestamp t = now();
    if (auto ok = codes_.verify(*email, *code, t); !ok) return error_response(ok.error());

    const bool admin = std::find(options_.admin_emails.begin(), options_.admin_emails.end(),
                                 *email) != options_.admin_emails.end();
    std::lock_guard lk(accounts_mutex_);
    json::array new_keys;
    auto user = with_store([&](store::ReadStore& st) -> Result<store::User> {
      auto found = st.user_by_email(*email);
      if (!found) return std::unexpected(found.error());
      if (*found) {
        store::User u = std::move(**found);
        const bool has_admin = std::find(u.roles.begin(), u.roles.end(), "admin") != u.roles.end();
        if (admin && !has_admin) {
          u.roles.push_back("admin");
          std::sort(u.roles.begin(), u.roles.end());
          if (auto s = st.set_roles(u.id, u.roles); !s) return std::unexpected(s.error());
        }
        return u;
      }
      store::User u;
      u.id = hex(auth::random_bytes(8));
      u.id.insert(u.id.begin(), 'u');  // not "u" + ...: a g++ 12 -Wrestrict false positive
      u.email = *email;
      u.created_at = t;
      if (admin) u.roles.push_back("admin");
      auto created = st.create_user(u);
      if (!created) return std::unexpected(created.error());
      if (!*created) return fail(ErrorCode::Conflict, "the user exists already; retry");
      auth::KeyService keys(st, &keys_);
      for (store::KeyKind k : kKinds) {
        auto issued = keys.create(u.id, k, "default", t);
        if (!issued) return std::unexpected(issued.error());
        new_keys.push_back(issued_json(*issued));
      }
      return u;
    });
    if (!user) return error_response(user.error());

    // The trader: registered in the exchange (PAPER grant included) before the user hears back.
    auto registered = std::make_shared<std::promise<bool>>();
    auto fut = registered->get_future();
    const bool queued = engine_.query([this, registered, id = user->id](const engine::Exchange& x) {
      if (x.trader_id(id)) return registered->set_value(true);
      const bool q = engine_.submit(engine::RegisterTrader{id},
                                    [registered](CommandResult& res, const engine::Exchange&) {
                                      registered->set_value(!res.error);
                                    });
      if (!q) registered->set_value(false);
    });
    if (!queued || fut.wait_for(std::chrono::seconds(10)) != std::future_status::ready ||
        !fut.get()) {
      return error_response(503, "UNAVAILABLE", "could not register the trader; retry");
    }

    auto tokens = with_store([&](store::ReadStore& st) {
      auth::SessionService sessions(st, signer_, options_.refresh_ttl_ms);
      return sessions.start(*user, t);
    });
    if (!tokens) return error_response(tokens.error());
    json::object out{{"user", user_json(*user)},
                     {"accessToken", tokens->access},
                     {"refreshToken", tokens->refresh},
                     {"accessExpiresAt", tokens->access_expires_at},
                     {"refreshExpiresAt", tokens->refresh_expires_at},
                     {"newUser", !new_keys.empty()}};
    if (!new_keys.empty()) out["keys"] = std::move(new_keys);
    net::Response resp = json_response(out);
    resp.headers.emplace_back(
        "Set-Cookie", set_cookie("cx_access", tokens->access,
                                 (tokens->access_expires_at - t) / 1000, options_.secure_cookies));
    resp.headers.emplace_back(
        "Set-Cookie", set_cookie("cx_refresh", tokens->refresh,
                                 (tokens->refresh_expires_at - t) / 1000, options_.secure_cookies));
    return resp;
  });

  // ---- refresh: rotates the refresh token ----
  r.post("/api/auth/refresh", [this](const net::Request& req) {
    std::string token;
    if (!req.body.empty()) {
      auto body = body_object(req);
      if (!body) return error_response(body.error());
      token = string_field(*body, "refreshToken").value_or("");
    }
    if (token.empty()) {
      if (auto c = cookie(req, "cx_refresh")) token = std::string(*c);
    }
    if (token.empty()) return error_response(401, "UNAUTHENTICATED", "no refresh token");
    const Timestamp t = now();
    auto tokens = with_store([&](store::ReadStore& st) {
      auth::SessionService sessions(st, signer_, options_.refresh_ttl_ms);
      return sessions.refresh(token, t);
    });
    if (!tokens) return error_response(tokens.error());
    net::Response resp =
        json_response(json::object{{"accessToken", tokens->access},
                                   {"refreshToken", tokens->refresh},
                                   {"accessExpiresAt", tokens->access_expires_at},
                                   {"refreshExpiresAt", tokens->refresh_expires_at}});
    resp.headers.emplace_back(
        "Set-Cookie", set_cookie("cx_access", tokens->access,
                                 (tokens->access_expires_at - t) / 1000, options_.secure_cookies));
    resp.headers.emplace_back(
        "Set-Cookie", set_cookie("cx_refresh", tokens->refresh,
                                 (tokens->refresh_expires_at - t) / 1000, options_.secure_cookies));
    return resp;
  });

  r.post("/api/auth/logout", [this](const net::Request& req) {
    std::string token;
    if (!req.body.empty()) {
      auto body = body_object(req);
      if (!body) return error_response(body.error());
      token = string_field(*body, "refreshToken").value_or("");
    }
    if (token.empty()) {
      if (auto c = cookie(req, "cx_refresh")) token = std::string(*c);
    }
    if (token.empty()) return error_response(401, "UNAUTHENTICATED", "no refresh token");
    auto done = with_store([&](store::ReadStore& st) {
      auth::SessionService sessions(st, signer_, options_.refresh_ttl_ms);
      return sessions.logout(token, now());
    });
    if (!done) return error_response(done.error());
    net::Response resp = json_response(json::object{{"loggedOut", true}});
    resp.headers.emplace_back("Set-Cookie",
                              set_cookie("cx_access", "", 0, options_.secure_cookies));
    resp.headers.emplace_back("Set-Cookie",
                              set_cookie("cx_refresh", "", 0, options_.secure_cookies));
    return resp;
  });

  // ---- the user ----
  r.get("/api/user/me", [this](const net::Request& req) {
    auto who = authenticate(req, true);
    if (!who) return error_response(who.error());
    auto u = with_store([&](store::ReadStore& st) { return st.user(who->user_id); });
    if (!u) return error_response(u.error());
    if (!*u) return error_response(404, "NOT_FOUND", "no such user");
    return json_response(user_json(**u));
  });

  // ---- API keys (a session is required: a key cannot mint keys) ----
  r.get("/api/user/keys", [this](const net::Request& req) {
    auto who = session_principal(req);
    if (!who) return error_response(who.error());
    std::optional<store::KeyKind> kind;
    if (auto k = req.query_value("kind")) {
      kind = store::key_kind_from(*k);
      if (!kind)
        return error_response(400, "INVALID_ARGUMENT",
                              "kind must be userAk, traderAk or providerAk");
    }
    auto keys = with_store([&](store::ReadStore& st) {
      auth::KeyService ks(st, &keys_);
      return ks.list(who->user_id, kind);
    });
    if (!keys) return error_response(keys.error());
    json::array out;
    for (const auto& k : *keys) out.push_back(key_json(k));
    return json_response(json::object{{"keys", std::move(out)}});
  });
  r.post("/api/user/keys", [this](const net::Request& req) {
    auto who = session_principal(req);
    if (!who) return error_response(who.error());
    auto body = body_object(req);
    if (!body) return error_response(body.error());
    const auto kind = store::key_kind_from(string_field(*body, "kind").value_or(""));
    if (!kind)
      return error_response(400, "INVALID_ARGUMENT", "kind must be userAk, traderAk or providerAk");
    if (const json::value* l = body->if_contains("label"); l && !l->is_string() && !l->is_null()) {
      return error_response(400, "INVALID_ARGUMENT", "label must be a string");
    }
    const std::string label = string_field(*body, "label").value_or("");
    auto issued = with_store([&](store::ReadStore& st) {
      auth::KeyService ks(st, &keys_);
      return ks.create(who->user_id, *kind, label, now());
    });
    if (!issued) return error_response(issued.error());
    return json_response(issued_json(*issued), 201);
  });
  r.post("/api/user/keys/{prefix}/rotate", [this](const net::Request& req) {
    auto who = session_principal(req);
    if (!who) return error_response(who.error());
    auto issued = with_store([&](store::ReadStore& st) {
      auth::KeyService ks(st, &keys_);
      return ks.rotate(who->user_id, *req.param("prefix"), now());
    });
    if (!issued) return error_response(issued.error());
    return json_response(issued_json(*issued), 201);
  });
  r.del("/api/user/keys/{prefix}", [this](const net::Request& req) {
    auto who = session_principal(req);
    if (!who) return error_response(who.error());
    auto done = with_store([&](store::ReadStore& st) {
      auth::KeyService ks(st, &keys_);
      return ks.revoke(who->user_id, *req.param("prefix"), now());
    });
    if (!done) return error_response(done.error());
    return json_response(json::object{{"revoked", std::string(*req.param("prefix"))}});
  });
}

}  // namespace cx::api
