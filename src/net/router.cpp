#include "net/router.hpp"

#include <optional>
#include <stdexcept>
#include <vector>

#include "net/url.hpp"

namespace cx::net {

/// A segment trie: literal children, at most one parameter child, endpoints by method.
struct Router::Node {
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> param;
  std::string param_name;
  std::vector<std::pair<Method, Route>> routes;
};

namespace {

using Segments = std::optional<std::string_view>;  // nullopt: no segments left

/// Splits the next segment off `rest`.
std::string_view next_segment(Segments& rest) {
  const std::string_view s = *rest;
  const std::size_t slash = s.find('/');
  if (slash == std::string_view::npos) {
    rest.reset();
    return s;
  }
  rest = s.substr(slash + 1);
  return s.substr(0, slash);
}

using ParamViews = std::vector<std::pair<std::string_view, std::string_view>>;

/// Depth-first, literals before the parameter; the first node with endpoints where the path ends.
const Router::Node* walk(const Router::Node* node, Segments rest, ParamViews& values) {
  if (!rest) return node->routes.empty() ? nullptr : node;
  const std::string_view seg = next_segment(rest);
  for (const auto& [name, child] : node->literals) {
    if (name == seg) {
      if (const auto* found = walk(child.get(), rest, values)) return found;
      break;
    }
  }
  if (node->param && !seg.empty()) {
    values.emplace_back(node->param_name, seg);
    if (const auto* found = walk(node->param.get(), rest, values)) return found;
    values.pop_back();
  }
  return nullptr;
}

[[noreturn]] void bad_pattern(std::string_view pattern, std::string_view why) {
  throw std::invalid_argument("router: pattern '" + std::string(pattern) +
                              "': " + std::string(why));
}

}  // namespace

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

Router& Router::add(Method method, std::string_view pattern, Handler handler) {
  if (!handler) bad_pattern(pattern, "empty handler");
  return insert(method, pattern, Route{std::move(handler), {}});
}

Router& Router::add_async(Method method, std::string_view pattern, AsyncHandler handler) {
  if (!handler) bad_pattern(pattern, "empty handler");
  return insert(method, pattern, Route{{}, std::move(handler)});
}

Router& Router::insert(Method method, std::string_view pattern, Route route) {
  if (method == Method::Other) bad_pattern(pattern, "Method::Other cannot be routed");
  if (pattern.empty() || pattern.front() != '/') bad_pattern(pattern, "must start with '/'");
  Node* node = root_.get();
  Segments rest = pattern.substr(1);
  while (rest) {
    const std::string_view seg = next_segment(rest);
    if (!seg.empty() && seg.front() == '{') {
      if (seg.size() < 3 || seg.back() != '}') bad_pattern(pattern, "malformed {parameter}");
      const std::string_view name = seg.substr(1, seg.size() - 2);
      if (!node->param) {
        node->param = std::make_unique<Node>();
        node->param_name = std::string(name);
      } else if (node->param_name != name) {
        bad_pattern(pattern, "parameter name differs from an earlier pattern's at this position");
      }
      node = node->param.get();
      continue;
    }
    if (seg.find_first_of("{}") != std::string_view::npos) bad_pattern(pattern, "stray brace");
    Node* next = nullptr;
    for (auto& [name, child] : node->literals) {
      if (name == seg) next = child.get();
    }
    if (!next) {
      node->literals.emplace_back(std::string(seg), std::make_unique<Node>());
      next = node->literals.back().second.get();
    }
    node = next;
  }
  for (const auto& [m, r] : node->routes) {
    if (m == method) bad_pattern(pattern, "registered twice for " + std::string(to_string(m)));
  }
  node->routes.emplace_back(method, std::move(route));
  return *this;
}

Router::Match Router::match(Method method, std::string_view path, Fields& params) const {
  Match result;
  if (path.empty() || path.front() != '/') return result;
  ParamViews values;
  const Node* node = walk(root_.get(), path.substr(1), values);
  if (!node) return result;
  for (const auto& [m, route] : node->routes) {
    if (m != method) continue;
    for (const auto& [name, raw] : values) {
      auto decoded = percent_decode(raw, false);
      if (!decoded) {
        result.kind = MatchKind::BadPath;
        return result;
      }
      params.emplace_back(std::string(name), std::move(*decoded));
    }
    result.kind = MatchKind::Found;
    result.route = &route;
    return result;
  }
  result.kind = MatchKind::MethodNotAllowed;
  for (const auto& [m, route] : node->routes) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += to_string(m);
  }
  return result;
}

}  // namespace cx::net
