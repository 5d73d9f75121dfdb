#include "app/config.hpp"

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iterator>

#include "core/decimal.hpp"
#include "gateway/service.hpp"

namespace cx::app {

namespace {

/// Applies one setting given as text (environment variables and flags) to `c`.
struct Setter {
  std::string key;   ///< "server.port"
  std::string env;   ///< "CX_PORT"
  std::string flag;  ///< "--port" ("" when none)
  std::function<Result<void>(Config&, std::string_view)> from_text;
  std::function<Result<void>(Config&, const toml::node&)> from_toml;
};

template <class T>
Result<T> parse_int(std::string_view key, std::string_view s, T lo, T hi) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi) {
    return fail(ErrorCode::InvalidArgument, std::string(key) + ": expected an integer from " +
                                                std::to_string(lo) + " to " + std::to_string(hi) +
                                                ", got \"" + std::string(s) + "\"");
  }
  return v;
}

Result<bool> parse_bool(std::string_view key, std::string_view s) {
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return false;
  return fail(ErrorCode::InvalidArgument,
              std::string(key) + ": expected true or false, got \"" + std::string(s) + "\"");
}

template <class T>
Setter int_setter(std::string key, std::string env, std::string flag, T Config::*field, T lo,
                  T hi) {
  Setter s{key, std::move(env), std::move(flag), {}, {}};
  s.from_text = [key, field, lo, hi](Config& c, std::string_view t) -> Result<void> {
    auto v = parse_int<T>(key, t, lo, hi);
    if (!v) return std::unexpected(v.error());
    c.*field = *v;
    return {};
  };
  s.from_toml = [key, field, lo, hi](Config& c, const toml::node& n) -> Result<void> {
    auto v = n.value<std::int64_t>();
    if (!v || *v < static_cast<std::int64_t>(lo) ||
        static_cast<std::uint64_t>(*v) > static_cast<std::uint64_t>(hi)) {
      return fail(ErrorCode::InvalidArgument, key + ": expected an integer from " +
                                                  std::to_string(lo) + " to " + std::to_string(hi));
    }
    c.*field = static_cast<T>(*v);
    return {};
  };
  return s;
}

Setter string_setter(std::string key, std::string env, std::string flag,
                     std::string Config::*field) {
  Setter s{key, std::move(env), std::move(flag), {}, {}};
  s.from_text = [field](Config& c, std::string_view t) -> Result<void> {
    c.*field = std::string(t);
    return {};
  };
  s.from_toml = [key, field](Config& c, const toml::node& n) -> Result<void> {
    auto v = n.value<std::string>();
    if (!v) return fail(ErrorCode::InvalidArgument, key + ": expected a string");
    c.*field = *v;
    return {};
  };
  return s;
}

Setter bool_setter(std::string key, std::string env, std::string flag, bool Config::*field) {
  Setter s{key, std::move(env), std::move(flag), {}, {}};
  s.from_text = [key, field](Config& c, std::string_view t) -> Result<void> {
    auto v = parse_bool(key, t);
    if (!v) return std::unexpected(v.error());
    c.*field = *v;
    return {};
  };
  s.from_toml = [key, field](Config& c, const toml::node& n) -> Result<void> {
    auto v = n.value<bool>();
    if (!v) return fail(ErrorCode::InvalidArgument, key + ": expected true or false");
    c.*field = *v;
    return {};
  };
  return s;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

constexpr const char* kSourceKeys[] = {
    "kind",       "name", "url",        "api_key", "symbols",    "convert", "path",
    "underlying", "file", "max_age_ms", "poll_ms", "timeout_ms", "seed"};

Result<void> check_source(const OracleSourceConfig& s) {
  auto bad = [&](std::string what) {
    std::string msg = "oracle.sources: ";
    msg.append(s.kind).append(" source: ").append(what);
    return fail(ErrorCode::InvalidArgument, std::move(msg));
  };
  if (s.kind == "simulated") return {};
  if (s.kind == "file") return s.file.empty() ? bad("file is required") : Result<void>{};
  if (s.kind == "cmc") return s.url.empty() ? bad("url is required") : Result<void>{};
  if (s.kind == "json") {
    if (s.url.empty() || s.path.empty() || s.underlying.empty()) {
      return bad("url, path and underlying are required");
    }
    return {};
  }
  return fail(ErrorCode::InvalidArgument,
              "oracle.sources: kind must be simulated, file, cmc or json, got \"" + s.kind + "\"");
}

/// One `[[oracle.sources]]` table.
Result<OracleSourceConfig> source_from_toml(const toml::table& t) {
  OracleSourceConfig s;
  for (const auto& [k, _] : t) {
    if (std::find(std::begin(kSourceKeys), std::end(kSourceKeys), k.str()) ==
        std::end(kSourceKeys)) {
      return fail(ErrorCode::InvalidArgument,
                  "oracle.sources: unknown key " + std::string(k.str()));
    }
  }
  auto str = [&](const char* key, std::string& out) -> Result<void> {
    if (const toml::node* n = t.get(key)) {
      auto v = n->value<std::string>();
      if (!v)
        return fail(ErrorCode::InvalidArgument,
                    std::string("oracle.sources.") + key + ": expected a string");
      out = *v;
    }
    return {};
  };
  auto num = [&](const char* key, std::int64_t& out, std::int64_t lo,
                 std::int64_t hi) -> Result<void> {
    if (const toml::node* n = t.get(key)) {
      auto v = n->value<std::int64_t>();
      if (!v || *v < lo || *v > hi) {
        return fail(ErrorCode::InvalidArgument,
                    std::string("oracle.sources.") + key + ": expected an integer from " +
                        std::to_string(lo) + " to " + std::to_string(hi));
      }
      out = *v;
    }
    return {};
  };
  for (auto [key, field] :
       {std::pair{"kind", &OracleSourceConfig::kind}, std::pair{"name", &OracleSourceConfig::name},
        std::pair{"url", &OracleSourceConfig::url},
        std::pair{"api_key", &OracleSourceConfig::api_key},
        std::pair{"convert", &OracleSourceConfig::convert},
        std::pair{"path", &OracleSourceConfig::path},
        std::pair{"underlying", &OracleSourceConfig::underlying},
        std::pair{"file", &OracleSourceConfig::file}}) {
    if (auto r = str(key, s.*field); !r) return std::unexpected(r.error());
  }
  if (auto r = num("max_age_ms", s.max_age_ms, 0, 86'400'000); !r)
    return std::unexpected(r.error());
  if (auto r = num("poll_ms", s.poll_ms, 0, 86'400'000); !r) return std::unexpected(r.error());
  if (auto r = num("timeout_ms", s.timeout_ms, 100, 600'000); !r) return std::unexpected(r.error());
  std::int64_t seed = 0;
  if (auto r = num("seed", seed, 0, INT64_MAX); !r) return std::unexpected(r.error());
  s.seed = static_cast<std::uint64_t>(seed);
  if (const toml::node* n = t.get("symbols")) {
    const toml::array* a = n->as_array();
    if (a == nullptr)
      return fail(ErrorCode::InvalidArgument, "oracle.sources.symbols: expected an array");
    for (const toml::node& e : *a) {
      auto v = e.value<std::string>();
      if (!v) return fail(ErrorCode::InvalidArgument, "oracle.sources.symbols: expected strings");
      s.symbols.push_back(*v);
    }
  }
  if (auto r = check_source(s); !r) return std::unexpected(r.error());
  return s;
}

/// The text form (environment, flag): comma-separated `simulated`, `file=<path>`,
/// `cmc=<base url>`, `json=<url>#<path>#<underlying>`.
Result<std::vector<OracleSourceConfig>> sources_from_text(std::string_view text) {
  std::vector<OracleSourceConfig> out;
  for (const std::string& item : split_list(text)) {
    OracleSourceConfig s;
    const auto eq = item.find('=');
    s.kind = item.substr(0, eq);
    const std::string arg = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (s.kind == "file") {
      s.file = arg;
    } else if (s.kind == "cmc") {
      s.url = arg;
    } else if (s.kind == "json") {
      const auto h1 = arg.find('#');
      const auto h2 = h1 == std::string::npos ? h1 : arg.find('#', h1 + 1);
      if (h2 == std::string::npos) {
        return fail(ErrorCode::InvalidArgument,
                    "oracle.sources: json=<url>#<path>#<underlying>, got \"" + item + "\"");
      }
      s.url = arg.substr(0, h1);
      s.path = arg.substr(h1 + 1, h2 - h1 - 1);
      s.underlying = arg.substr(h2 + 1);
    } else if (!arg.empty()) {
      return fail(ErrorCode::InvalidArgument, "oracle.sources: " + s.kind + " takes no argument");
    }
    if (auto r = check_source(s); !r) return std::unexpected(r.error());
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Setter> setters() {
  std::vector<Setter> v;
  v.push_back(string_setter("server.address", "CX_ADDRESS", "--address", &Config::address));
  v.push_back(
      int_setter<std::uint16_t>("server.port", "CX_PORT", "--port", &Config::port, 0, 65535));
  v.push_back(int_setter<unsigned>("server.io_threads", "CX_IO_THREADS", "--io-threads",
                                   &Config::io_threads, 1, 64));
  v.push_back(int_setter<std::size_t>("server.max_body_bytes", "CX_MAX_BODY_BYTES", "",
                                      &Config::max_body_bytes, 1024, 64u << 20));
  v.push_back(int_setter<std::size_t>("server.max_header_bytes", "CX_MAX_HEADER_BYTES", "",
                                      &Config::max_header_bytes, 1024, 1u << 20));
  v.push_back(int_setter<std::int64_t>("server.idle_timeout_ms", "CX_IDLE_TIMEOUT_MS", "",
                                       &Config::idle_timeout_ms, 100, 3'600'000));
  v.push_back(int_setter<std::int64_t>("server.request_timeout_ms", "CX_REQUEST_TIMEOUT_MS", "",
                                       &Config::request_timeout_ms, 100, 3'600'000));
  v.push_back(int_setter<std::size_t>("server.max_connections", "CX_MAX_CONNECTIONS", "",
                                      &Config::max_connections, 1, 1'000'000));
  v.push_back(int_setter<std::int64_t>("server.ws_flush_ms", "CX_WS_FLUSH_MS", "",
                                       &Config::ws_flush_ms, 0, 10'000));
  {
    Setter s{"data.dir", "CX_DATA_DIR", "--data", {}, {}};
    s.from_text = [](Config& c, std::string_view t) -> Result<void> {
      if (t.empty()) return fail(ErrorCode::InvalidArgument, "data.dir: empty");
      c.data_dir = std::string(t);
      return {};
    };
    s.from_toml = [](Config& c, const toml::node& n) -> Result<void> {
      auto p = n.value<std::string>();
      if (!p || p->empty()) return fail(ErrorCode::InvalidArgument, "data.dir: expected a path");
      c.data_dir = *p;
      return {};
    };
    v.push_back(std::move(s));
  }
  v.push_back(int_setter<std::uint64_t>("data.snapshot_every", "CX_SNAPSHOT_EVERY", "",
                                        &Config::snapshot_every, 0, UINT64_MAX / 2));
  v.push_back(int_setter<std::int64_t>("data.projector_commit_ms", "CX_PROJECTOR_COMMIT_MS", "",
                                       &Config::projector_commit_ms, 0, 10'000));
  {
    Setter s{"auth.admin_emails", "CX_ADMIN_EMAILS", "--admin-emails", {}, {}};
    s.from_text = [](Config& c, std::string_view t) -> Result<void> {
      c.admin_emails = split_list(t);
      return {};
    };
    s.from_toml = [](Config& c, const toml::node& n) -> Result<void> {
      const toml::array* a = n.as_array();
      if (a == nullptr)
        return fail(ErrorCode::InvalidArgument, "auth.admin_emails: expected an array");
      c.admin_emails.clear();
      for (const toml::node& e : *a) {
        auto s2 = e.value<std::string>();
        if (!s2) return fail(ErrorCode::InvalidArgument, "auth.admin_emails: expected strings");
        c.admin_emails.push_back(*s2);
      }
      return {};
    };
    v.push_back(std::move(s));
  }
  v.push_back(string_setter("auth.token_secret", "CX_TOKEN_SECRET", "", &Config::token_secret));
  v.push_back(int_setter<std::int64_t>("auth.access_ttl_ms", "CX_ACCESS_TTL_MS", "",
                                       &Config::access_ttl_ms, 1000, 86'400'000));
  v.push_back(int_setter<std::int64_t>("auth.refresh_ttl_ms", "CX_REFRESH_TTL_MS", "",
                                       &Config::refresh_ttl_ms, 60'000, 365LL * 86'400'000));
  v.push_back(bool_setter("auth.secure_cookies", "CX_SECURE_COOKIES", "", &Config::secure_cookies));
  v.push_back(string_setter("smtp.host", "CX_SMTP_HOST", "--smtp-host", &Config::smtp_host));
  v.push_back(int_setter<std::uint16_t>("smtp.port", "CX_SMTP_PORT", "--smtp-port",
                                        &Config::smtp_port, 1, 65535));
  {
    Setter s = string_setter("smtp.tls", "CX_SMTP_TLS", "--smtp-tls", &Config::smtp_tls);
    auto text = s.from_text;
    s.from_text = [text](Config& c, std::string_view t) -> Result<void> {
      if (t != "none" && t != "starttls" && t != "implicit") {
        return fail(ErrorCode::InvalidArgument, "smtp.tls: none, starttls or implicit");
      }
      return text(c, t);
    };
    auto tml = s.from_toml;
    s.from_toml = [tml](Config& c, const toml::node& n) -> Result<void> {
      auto v2 = n.value<std::string>();
      if (!v2 || (*v2 != "none" && *v2 != "starttls" && *v2 != "implicit")) {
        return fail(ErrorCode::InvalidArgument, "smtp.tls: none, starttls or implicit");
      }
      return tml(c, n);
    };
    v.push_back(std::move(s));
  }
  v.push_back(string_setter("smtp.user", "CX_SMTP_USER", "", &Config::smtp_user));
  v.push_back(string_setter("smtp.password", "CX_SMTP_PASSWORD", "", &Config::smtp_password));
  v.push_back(string_setter("smtp.from", "CX_SMTP_FROM", "--smtp-from", &Config::smtp_from));
  v.push_back(int_setter<std::uint32_t>("rate_limit.key_burst", "CX_RATE_KEY_BURST", "",
                                        &Config::key_burst, 0, 10'000'000));
  v.push_back(int_setter<std::int64_t>("rate_limit.key_refill_ms", "CX_RATE_KEY_REFILL_MS", "",
                                       &Config::key_refill_ms, 1, 3'600'000));
  v.push_back(int_setter<std::uint32_t>("rate_limit.ip_burst", "CX_RATE_IP_BURST", "",
                                        &Config::ip_burst, 0, 10'000'000));
  v.push_back(int_setter<std::int64_t>("rate_limit.ip_refill_ms", "CX_RATE_IP_REFILL_MS", "",
                                       &Config::ip_refill_ms, 1, 3'600'000));
  {
    Setter s{"gateway.signup_credits", "CX_GATEWAY_SIGNUP_CREDITS", "", {}, {}};
    s.from_text = [](Config& c, std::string_view t) -> Result<void> {
      auto v2 = parse_decimal(t, 6, Sign::NonNegative);
      if (!v2) {
        return fail(ErrorCode::InvalidArgument,
                    "gateway.signup_credits: expected credits like \"10\" or \"2.5\": " +
                        v2.error().message);
      }
      c.gateway_signup_credits = *v2;
      return {};
    };
    s.from_toml = [text = s.from_text](Config& c, const toml::node& n) -> Result<void> {
      auto v2 = n.value<std::string>();
      if (!v2) return fail(ErrorCode::InvalidArgument, "gateway.signup_credits: expected a string");
      return text(c, *v2);
    };
    v.push_back(std::move(s));
  }
  v.push_back(int_setter<std::uint32_t>("gateway.provider_share_bps", "CX_GATEWAY_PROVIDER_SHARE_BPS",
                                        "", &Config::gateway_provider_share_bps, 0, 10'000));
  v.push_back(int_setter<std::int64_t>("gateway.heartbeat_ms", "CX_GATEWAY_HEARTBEAT_MS", "",
                                       &Config::gateway_heartbeat_ms, 100, 3'600'000));
  v.push_back(int_setter<std::uint32_t>("gateway.miss_limit", "CX_GATEWAY_MISS_LIMIT", "",
                                        &Config::gateway_miss_limit, 1, 1000));
  v.push_back(int_setter<std::uint32_t>("gateway.failure_limit", "CX_GATEWAY_FAILURE_LIMIT", "",
                                        &Config::gateway_failure_limit, 1, 1000));
  v.push_back(int_setter<std::int64_t>("gateway.suspend_base_ms", "CX_GATEWAY_SUSPEND_BASE_MS", "",
                                       &Config::gateway_suspend_base_ms, 10, 86'400'000));
  v.push_back(int_setter<std::int64_t>("gateway.suspend_max_ms", "CX_GATEWAY_SUSPEND_MAX_MS", "",
                                       &Config::gateway_suspend_max_ms, 10, 7 * 86'400'000LL));
  v.push_back(int_setter<std::int64_t>("gateway.remove_after_ms", "CX_GATEWAY_REMOVE_AFTER_MS", "",
                                       &Config::gateway_remove_after_ms, 100, 365 * 86'400'000LL));
  v.push_back(int_setter<std::int64_t>("gateway.verify_timeout_ms", "CX_GATEWAY_VERIFY_TIMEOUT_MS",
                                       "", &Config::gateway_verify_timeout_ms, 10, 600'000));
  v.push_back(int_setter<std::int64_t>("gateway.default_max_tokens", "CX_GATEWAY_DEFAULT_MAX_TOKENS",
                                       "", &Config::gateway_default_max_tokens, 1, 10'000'000));
  v.push_back(int_setter<unsigned>("gateway.client_threads", "CX_GATEWAY_CLIENT_THREADS", "",
                                   &Config::gateway_client_threads, 0, 64));
  {
    Setter s{"gateway.prices", "CX_GATEWAY_PRICES", "", {}, {}};
    s.from_text = [](Config&, std::string_view) -> Result<void> {
      return fail(ErrorCode::InvalidArgument, "gateway.prices: set prices in the TOML file");
    };
    s.from_toml = [](Config& c, const toml::node& n) -> Result<void> {
      const toml::array* a = n.as_array();
      if (a == nullptr) {
        return fail(ErrorCode::InvalidArgument, "gateway.prices: expected [[gateway.prices]] tables");
      }
      for (const toml::node& e : *a) {
        const toml::table* row = e.as_table();
        if (row == nullptr) return fail(ErrorCode::InvalidArgument, "gateway.prices: expected tables");
        Config::Price p;
        for (const auto& [k, val] : *row) {
          const std::string key(k.str());
          auto text = val.value<std::string>();
          if (!text) {
            return fail(ErrorCode::InvalidArgument, "gateway.prices." + key + ": expected a string");
          }
          if (key == "service") {
            p.service = *text;
            continue;
          }
          if (key == "model") {
            p.model = *text;
            continue;
          }
          std::int64_t Config::Price::*field = nullptr;
          if (key == "input_per_million") field = &Config::Price::per_million_input;
          if (key == "output_per_million") field = &Config::Price::per_million_output;
          if (key == "per_image") field = &Config::Price::per_image;
          if (key == "per_second") field = &Config::Price::per_second;
          if (key == "per_request") field = &Config::Price::per_request;
          if (field == nullptr) {
            return fail(ErrorCode::InvalidArgument, "gateway.prices: unknown key " + key);
          }
          auto micro = parse_decimal(*text, 6, Sign::NonNegative);
          if (!micro) {
            return fail(ErrorCode::InvalidArgument,
                        "gateway.prices." + key + ": " + micro.error().message);
          }
          p.*field = *micro;
        }
        if (!gateway::service_from_string(p.service)) {
          return fail(ErrorCode::InvalidArgument,
                      "gateway.prices: service must be one of chat, embeddings, image, video, "
                      "tts, scrape, caption, detect, point, query; got \"" + p.service + "\"");
        }
        c.gateway_prices.push_back(std::move(p));
      }
      return {};
    };
    v.push_back(std::move(s));
  }
  {
    Setter s = string_setter("log.level", "CX_LOG_LEVEL", "--log-level", &Config::log_level);
    auto text = s.from_text;
    s.from_text = [text](Config& c, std::string_view t) -> Result<void> {
      if (t != "trace" && t != "debug" && t != "info" && t != "warn" && t != "error") {
        return fail(ErrorCode::InvalidArgument, "log.level: trace, debug, info, warn or error");
      }
      return text(c, t);
    };
    auto tml = s.from_toml;
    s.from_toml = [tml](Config& c, const toml::node& n) -> Result<void> {
      auto v2 = n.value<std::string>();
      if (!v2 ||
          (*v2 != "trace" && *v2 != "debug" && *v2 != "info" && *v2 != "warn" && *v2 != "error")) {
        return fail(ErrorCode::InvalidArgument, "log.level: trace, debug, info, warn or error");
      }
      return tml(c, n);
    };
    v.push_back(std::move(s));
  }
  v.push_back(bool_setter("log.json", "CX_LOG_JSON", "", &Config::log_json));
  {
    Setter s{"oracle.sources", "CX_ORACLE_SOURCES", "--oracle-sources", {}, {}};
    s.from_text = [](Config& c, std::string_view t) -> Result<void> {
      auto v2 = sources_from_text(t);
      if (!v2) return std::unexpected(v2.error());
      c.oracle_sources = std::move(*v2);
      return {};
    };
    s.from_toml = [](Config& c, const toml::node& n) -> Result<void> {
      if (n.is_string()) {
        auto v2 = sources_from_text(*n.value<std::string>());
        if (!v2) return std::unexpected(v2.error());
        c.oracle_sources = std::move(*v2);
        return {};
      }
      const toml::array* a = n.as_array();
      if (a == nullptr) {
        return fail(ErrorCode::InvalidArgument, "oracle.sources: expected an array of tables");
      }
      c.oracle_sources.clear();
      for (const toml::node& e : *a) {
        if (const toml::table* t = e.as_table()) {
          auto src = source_from_toml(*t);
          if (!src) return std::unexpected(src.error());
          c.oracle_sources.push_back(std::move(*src));
        } else if (auto text = e.value<std::string>()) {
          auto v2 = sources_from_text(*text);
          if (!v2) return std::unexpected(v2.error());
          for (auto& x : *v2) c.oracle_sources.push_back(std::move(x));
        } else {
          return fail(ErrorCode::InvalidArgument, "oracle.sources: expected tables or strings");
        }
      }
      return {};
    };
    v.push_back(std::move(s));
  }
  v.push_back(int_setter<std::int64_t>("oracle.poll_ms", "CX_ORACLE_POLL_MS", "",
                                       &Config::oracle_poll_ms, 50, 3'600'000));
  v.push_back(int_setter<std::int64_t>("oracle.max_age_ms", "CX_ORACLE_MAX_AGE_MS", "",
                                       &Config::oracle_max_age_ms, 0, 86'400'000));
  v.push_back(string_setter("oracle.cmc_api_key", "CX_ORACLE_CMC_API_KEY", "",
                            &Config::oracle_cmc_api_key));
  v.push_back(bool_setter("scheduler.enabled", "CX_SCHEDULER", "", &Config::scheduler_enabled));
  v.push_back(int_setter<std::int64_t>("scheduler.funding_sample_ms", "CX_FUNDING_SAMPLE_MS", "",
                                       &Config::funding_sample_ms, 1'000, 86'400'000));
  v.push_back(int_setter<std::int64_t>("scheduler.funding_settle_ms", "CX_FUNDING_SETTLE_MS", "",
                                       &Config::funding_settle_ms, 1'000, 7 * 86'400'000LL));
  v.push_back(int_setter<std::int64_t>("scheduler.round_ms", "CX_SCHEDULER_ROUND_MS", "",
                                       &Config::scheduler_round_ms, 10, 60'000));
  v.push_back(int_setter<std::int64_t>("scheduler.settlement_window_ms", "CX_SETTLEMENT_WINDOW_MS",
                                       "", &Config::settlement_window_ms, 0, 86'400'000));
  v.push_back(bool_setter("demo.enabled", "CX_DEMO", "", &Config::demo));
  v.push_back(int_setter<std::uint64_t>("demo.seed", "CX_DEMO_SEED", "", &Config::demo_seed, 0,
                                        UINT64_MAX / 2));
  return v;
}

}  // namespace

Result<Config> load_config(const std::vector<std::string>& args) {
  const std::vector<Setter> all = setters();
  CLI::App cli{"cxmpute serve: the exchange and gateway server"};
  cli.set_help_flag("-h,--help", "print this help");
  std::string config_file;
  bool demo_flag = false;
  cli.add_option("--config", config_file, "TOML configuration file");
  cli.add_flag("--demo", demo_flag,
               "PAPER demo markets, a simulated price feed and a market maker");
  std::vector<std::string> flag_values(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!all[i].flag.empty()) cli.add_option(all[i].flag, flag_values[i], all[i].key);
  }
  std::vector<std::string> argv{"cxmpute serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> cargv;
  for (const auto& a : argv) cargv.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(cargv.size()), cargv.data());
  } catch (const CLI::CallForHelp&) {
    return fail(ErrorCode::EmptyValue, cli.help());
  } catch (const CLI::ParseError& e) {
    return fail(ErrorCode::InvalidArgument, e.what());
  }

  Config c;
  // 1. TOML
  if (!config_file.empty()) {
    toml::table t;
    try {
      t = toml::parse_file(config_file);
    } catch (const toml::parse_error& e) {
      return fail(ErrorCode::InvalidArgument, config_file + ": " + std::string(e.description()) +
                                                  " at line " +
                                                  std::to_string(e.source().begin.line));
    }
    std::vector<std::string> known;
    for (const Setter& s : all) {
      known.push_back(s.key);
      const toml::node_view<toml::node> n = t.at_path(s.key);
      if (!n) continue;
      if (auto r = s.from_toml(c, *n.node()); !r) {
        return fail(ErrorCode::InvalidArgument, config_file + ": " + r.error().message);
      }
    }
    // Unknown keys are mistakes (a typo would silently keep a default).
    std::string unknown;
    for (const auto& [section, node] : t) {
      const toml::table* sub = node.as_table();
      if (sub == nullptr) {
        unknown += " " + std::string(section.str());
        continue;
      }
      for (const auto& [k, _] : *sub) {
        const std::string full = std::string(section.str()) + "." + std::string(k.str());
        if (std::find(known.begin(), known.end(), full) == known.end()) unknown += " " + full;
      }
    }
    if (!unknown.empty()) {
      return fail(ErrorCode::InvalidArgument, config_file + ": unknown keys:" + unknown);
    }
  }
  // 2. environment
  for (const Setter& s : all) {
    if (const char* e = std::getenv(s.env.c_str())) {
      if (auto r = s.from_text(c, e); !r) {
        return fail(ErrorCode::InvalidArgument, s.env + ": " + r.error().message);
      }
    }
  }
  // 3. flags
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].flag.empty() || cli.count(all[i].flag) == 0) continue;
    if (auto r = all[i].from_text(c, flag_values[i]); !r) {
      return fail(ErrorCode::InvalidArgument, all[i].flag + ": " + r.error().message);
    }
  }
  if (demo_flag) c.demo = true;
  return c;
}

}  // namespace cx::app
