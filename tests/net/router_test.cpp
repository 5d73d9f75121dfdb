#include <gtest/gtest.h>

#include <stdexcept>

#include "net/router.hpp"
#include "net/url.hpp"

namespace cx::net {
namespace {

Handler named(std::string name) {
  return [name](const Request&) { return Response::text(200, name); };
}

std::string call(const Router& r, Method m, std::string_view path, Fields* params_out = nullptr) {
  Fields params;
  const auto match = r.match(m, path, params);
  if (match.kind != Router::MatchKind::Found) return "-";
  if (params_out) *params_out = params;
  Request req;
  req.params = params;
  return match.route->sync(req).body;
}

TEST(Router, MatchesLiteralsAndParameters) {
  Router r;
  r.get("/", named("root"));
  r.get("/api/orders", named("list"));
  r.get("/api/orders/{orderId}", named("one"));
  r.get("/api/trades/{traderId}/paper-points", named("points"));
  Fields params;
  EXPECT_EQ(call(r, Method::Get, "/"), "root");
  EXPECT_EQ(call(r, Method::Get, "/api/orders"), "list");
  EXPECT_EQ(call(r, Method::Get, "/api/orders/o-17", &params), "one");
  EXPECT_EQ(params, (Fields{{"orderId", "o-17"}}));
  EXPECT_EQ(call(r, Method::Get, "/api/trades/t%2F1/paper-points", &params), "points");
  EXPECT_EQ(params, (Fields{{"traderId", "t/1"}}));
}

TEST(Router, ExactMatchingHasNoTrailingSlashOrEmptyParameter) {
  Router r;
  r.get("/api/orders", named("list"));
  r.get("/api/orders/{orderId}", named("one"));
  EXPECT_EQ(call(r, Method::Get, "/api/orders/"), "-");
  EXPECT_EQ(call(r, Method::Get, "/api/Orders"), "-");
  EXPECT_EQ(call(r, Method::Get, "/api/orders/1/extra"), "-");
  EXPECT_EQ(call(r, Method::Get, "api/orders"), "-");
}

TEST(Router, LiteralSegmentWinsOverParameterAndBacktracks) {
  Router r;
  r.get("/api/orders/{orderId}", named("one"));
  r.get("/api/orders/batch", named("batch"));
  r.get("/api/{kind}/x/y", named("kind-xy"));
  r.get("/api/orders/x/z", named("orders-xz"));
  EXPECT_EQ(call(r, Method::Get, "/api/orders/batch"), "batch");
  EXPECT_EQ(call(r, Method::Get, "/api/orders/batch2"), "one");
  // "orders" literal leads to a dead end for /x/y; the parameter branch matches.
  Fields params;
  EXPECT_EQ(call(r, Method::Get, "/api/orders/x/y", &params), "kind-xy");
  EXPECT_EQ(params, (Fields{{"kind", "orders"}}));
  EXPECT_EQ(call(r, Method::Get, "/api/orders/x/z"), "orders-xz");
}

TEST(Router, WrongMethodListsTheAllowedOnes) {
  Router r;
  r.get("/api/orders", named("list"));
  r.post("/api/orders", named("place"));
  r.del("/api/orders", named("cancel-all"));
  Fields params;
  const auto m = r.match(Method::Put, "/api/orders", params);
  EXPECT_EQ(m.kind, Router::MatchKind::MethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, POST, DELETE");
  EXPECT_EQ(r.match(Method::Get, "/nope", params).kind, Router::MatchKind::NotFound);
}

TEST(Router, MalformedParameterEscapeIsBadPath) {
  Router r;
  r.get("/api/orders/{orderId}", named("one"));
  Fields params;
  EXPECT_EQ(r.match(Method::Get, "/api/orders/%G1", params).kind, Router::MatchKind::BadPath);
}

TEST(Router, AsyncRoutesAreFound) {
  Router r;
  r.add_async(Method::Post, "/api/orders",
              [](const Request&, Reply reply) { reply(Response::text(202, "queued")); });
  Fields params;
  const auto m = r.match(Method::Post, "/api/orders", params);
  ASSERT_EQ(m.kind, Router::MatchKind::Found);
  ASSERT_TRUE(m.route->async);
  std::string got;
  m.route->async(Request{}, Reply::to([&](Response res) { got = res.body; }));
  EXPECT_EQ(got, "queued");
}

TEST(Router, RejectsBadPatterns) {
  Router r;
  r.get("/a/{x}", named("x"));
  EXPECT_THROW(r.get("a", named("no slash")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{}", named("empty")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{x", named("unclosed")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/b{x}", named("stray")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{x}", named("twice")), std::invalid_argument);
  EXPECT_THROW(r.get("/a/{y}/b", named("renamed")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::Other, "/z", named("other")), std::invalid_argument);
  EXPECT_NO_THROW(r.post("/a/{x}", named("another method")));
}

TEST(Reply, FirstCallWinsAndADroppedReplyAnswers500) {
  std::vector<Response> got;
  {
    Reply reply = Reply::to([&](Response r) { got.push_back(std::move(r)); });
    Reply copy = reply;
    copy(Response::text(200, "first"));
    reply(Response::text(200, "second"));
    EXPECT_TRUE(reply.done());
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "first");
  {
    Reply dropped = Reply::to([&](Response r) { got.push_back(std::move(r)); });
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].status, 500u);
}

TEST(Url, PercentDecodingAndQueryParsing) {
  EXPECT_EQ(percent_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("%e2%82%AC", false), "\xe2\x82\xac");
  EXPECT_FALSE(percent_decode("%2", false));
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%zz", false));

  Fields q;
  ASSERT_TRUE(parse_query("mode=PAPER&&limit=10&flag&note=a+b%3D&mode=REAL", q));
  EXPECT_EQ(
      q,
      (Fields{
          {"mode", "PAPER"}, {"limit", "10"}, {"flag", ""}, {"note", "a b="}, {"mode", "REAL"}}));
  Request req;
  req.query = q;
  req.headers = {{"X-Trader-Ak", "k1"}};
  EXPECT_EQ(req.query_value("mode"), "PAPER");
  EXPECT_EQ(req.header("x-trader-ak"), "k1");
  EXPECT_FALSE(req.header("cookie"));
  Fields bad;
  EXPECT_FALSE(parse_query("a=%x1", bad));
  EXPECT_EQ(split_target("/p?x=1?y"),
            (std::pair<std::string_view, std::string_view>{"/p", "x=1?y"}));
}

TEST(Response, ErrorBodyIsEscapedJson) {
  const auto r = Response::error(400, "MALFORMED_REQUEST", "bad \"quote\" \\ and\nnewline\x01");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(
      r.body,
      R"({"error":{"code":"MALFORMED_REQUEST","message":"bad \"quote\" \\ and\nnewline\u0001"}})");
}

}  // namespace
}  // namespace cx::net
