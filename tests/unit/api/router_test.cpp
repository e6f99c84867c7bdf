#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "forkd/handler.hpp"

namespace forkd {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::shared_ptr<Handler> named(std::string name) {
    return make_handler(blocking,
                        [name = std::move(name)](const Request&) { return Response::text(name); });
}

Router with_pattern(std::string method, std::string pattern) {
    Router router;
    router.add(Route{std::move(method), std::move(pattern), Route::Match::pattern, named("h")});
    return router;
}

// The route a GET of `path` reaches in a router of one route, or nullptr.
bool matches(std::string_view pattern, std::string_view path) {
    return with_pattern("GET", std::string(pattern)).match("GET", path).handler != nullptr;
}

Params params_of(std::string_view pattern, std::string_view path) {
    return with_pattern("GET", std::string(pattern)).match("GET", path).params;
}

TEST(Router, MatchesLiteralPatternsOnly) {
    EXPECT_TRUE(matches("/", "/"));
    EXPECT_FALSE(matches("/", "/a"));
    EXPECT_TRUE(matches("/health", "/health"));
    EXPECT_FALSE(matches("/health", "/healthz"));
    EXPECT_FALSE(matches("/health", "/health/x"));
    EXPECT_FALSE(matches("/a/b", "/a"));
    EXPECT_TRUE(matches("/a/b", "/a/b"));
}

TEST(Router, FillsANamedParameterFromOneSegment) {
    EXPECT_EQ(params_of("/hello/{name}", "/hello/bob"), (Params{{"name", "bob"}}));
    EXPECT_FALSE(matches("/hello/{name}", "/hello/bob/x"));
    EXPECT_FALSE(matches("/hello/{name}", "/hello"));
    EXPECT_EQ(params_of("/{a}/x/{b}", "/1/x/2"), (Params{{"a", "1"}, {"b", "2"}}));
}

TEST(Router, NeverFillsAParameterWithNothing) {
    EXPECT_FALSE(matches("/hello/{name}", "/hello/"));
    EXPECT_FALSE(matches("/{a}/{b}", "/x/"));
    // "//" is one separator, not an empty segment between two.
    EXPECT_EQ(params_of("/{a}/{b}", "/x//y"), (Params{{"a", "x"}, {"b", "y"}}));
}

TEST(Router, PercentDecodesParameters) {
    EXPECT_EQ(params_of("/hello/{name}", "/hello/J%C3%B6rg"), (Params{{"name", "Jörg"}}));
    EXPECT_EQ(params_of("/hello/{name}", "/hello/a%20b"), (Params{{"name", "a b"}}));
    // '+' is a space only in queries.
    EXPECT_EQ(params_of("/hello/{name}", "/hello/a+b"), (Params{{"name", "a+b"}}));
    // A '%' without two hex digits stays.
    EXPECT_EQ(params_of("/hello/{name}", "/hello/100%"), (Params{{"name", "100%"}}));
    EXPECT_EQ(params_of("/hello/{name}", "/hello/%zz"), (Params{{"name", "%zz"}}));
}

TEST(Router, ComparesLiteralsWithTheDecodedPath) {
    EXPECT_TRUE(matches("/hello/{name}", "/h%65llo/bob"));
    EXPECT_TRUE(matches("/a b", "/a%20b"));
}

TEST(Router, FillsATrailingWildcardWithTheRestOfThePath) {
    EXPECT_EQ(params_of("/files/{path...}", "/files/a/b/c.txt"), (Params{{"path", "a/b/c.txt"}}));
    EXPECT_EQ(params_of("/files/{path...}", "/files/a"), (Params{{"path", "a"}}));
    EXPECT_EQ(params_of("/files/{path...}", "/files/a/"), (Params{{"path", "a/"}}));
    EXPECT_EQ(params_of("/files/{path...}", "/files/a%2Fb/c%20d"), (Params{{"path", "a/b/c d"}}));
    EXPECT_FALSE(matches("/files/{path...}", "/filesx/a"));
    EXPECT_FALSE(matches("/files/{path...}", "/other"));
}

TEST(Router, LetsATrailingWildcardMatchZeroSegments) {
    EXPECT_EQ(params_of("/files/{path...}", "/files"), (Params{{"path", ""}}));
    EXPECT_EQ(params_of("/files/{path...}", "/files/"), (Params{{"path", ""}}));
    EXPECT_TRUE(matches("/files/*", "/files"));
    EXPECT_TRUE(matches("/files/*", "/files/"));
    EXPECT_TRUE(matches("/files/*", "/files/x/y"));
    EXPECT_TRUE(matches("/*", "/"));
    EXPECT_TRUE(matches("/*", "/anything/at/all"));
}

TEST(Router, NamesTheStarWildcardStar) {
    EXPECT_EQ(params_of("/files/*", "/files/x/y"), (Params{{"*", "x/y"}}));
    EXPECT_EQ(params_of("/{user}/*", "/bob/x"), (Params{{"user", "bob"}, {"*", "x"}}));
}

TEST(Router, ResolvesDotSegmentsBeforeMatching) {
    EXPECT_EQ(params_of("/hello/{name}", "/a/../hello/x"), (Params{{"name", "x"}}));
    EXPECT_EQ(params_of("/hello/{name}", "/hello/./x"), (Params{{"name", "x"}}));
    EXPECT_EQ(params_of("/hello/{name}", "/hello/x/y/.."), Params{});
    EXPECT_FALSE(matches("/hello/{name}", "/hello/x/y/.."));  // that is "/hello/x/"
    EXPECT_TRUE(matches("/hello/x/", "/hello/x/y/.."));
    EXPECT_TRUE(matches("/hello/x/", "/hello/x/."));
    // Encoded dots are dots (RFC 3986 §2.3), wherever they are.
    EXPECT_TRUE(matches("/hello/{name}", "/a/%2e%2e/hello/x"));
    EXPECT_TRUE(matches("/hello/x/", "/hello/x/y/%2e%2e"));
    EXPECT_TRUE(matches("/hello/x/", "/hello/x/y/.%2E"));
    EXPECT_FALSE(matches("/hello/x", "/hello/x/y/%2e%2e"));
}

TEST(Router, TreatsAnEncodedSlashAsASeparator) {
    EXPECT_FALSE(matches("/hello/{name}", "/hello/a%2Fb"));
    EXPECT_EQ(params_of("/{a}/{b}", "/x%2fy"), (Params{{"a", "x"}, {"b", "y"}}));
}

TEST(Router, NeverPutsADotSegmentInAParameter) {
    EXPECT_FALSE(matches("/files/{path...}", "/files/%2e%2e%2fsecret"));
    EXPECT_FALSE(matches("/files/{path...}", "/files/x%2F..%2F..%2Fsecret"));
    EXPECT_TRUE(matches("/secret", "/files/x%2F..%2F..%2Fsecret"));
    EXPECT_EQ(params_of("/files/{path...}", "/files/a/b%2F..%2Fc"), (Params{{"path", "a/c"}}));
    EXPECT_FALSE(matches("/hello/{name}", "/hello/..%2F..%2Fetc"));
}

TEST(Router, NeverClimbsAboveTheRoot) {
    EXPECT_TRUE(matches("/etc/passwd", "/../../etc/passwd"));
    EXPECT_TRUE(matches("/", "/.."));
    EXPECT_TRUE(matches("/", "/a/.."));
    EXPECT_TRUE(matches("/", "/."));
    EXPECT_EQ(params_of("/files/{path...}", "/files/../../secret"), Params{});
    EXPECT_FALSE(matches("/files/{path...}", "/files/../../secret"));
}

TEST(Router, MergesRepeatedSlashes) {
    EXPECT_TRUE(matches("/a/b", "//a//b"));
    EXPECT_TRUE(matches("/a/b", "/a///b"));
    EXPECT_TRUE(matches("/a/b/", "/a/b//"));
    EXPECT_FALSE(matches("/a/b", "/a/b//"));
    EXPECT_TRUE(matches("/a/b", "/a/%2e//b"));
}

TEST(Router, TreatsATrailingSlashAsSignificant) {
    EXPECT_TRUE(matches("/dir/", "/dir/"));
    EXPECT_FALSE(matches("/dir/", "/dir"));
    EXPECT_FALSE(matches("/dir", "/dir/"));
    EXPECT_TRUE(matches("/users/{id}/", "/users/7/"));
    EXPECT_FALSE(matches("/users/{id}/", "/users/7"));
}

TEST(Router, RejectsMalformedPatterns) {
    Router router;
    auto add = [&](std::string pattern) {
        router.add(Route{"GET", std::move(pattern), Route::Match::pattern, named("h")});
    };
    EXPECT_THROW(add("/hello/{name"), std::invalid_argument);
    EXPECT_THROW(add("/hello/name}"), std::invalid_argument);
    EXPECT_THROW(add("/hello/x{name}"), std::invalid_argument);
    EXPECT_THROW(add("/hello/{}"), std::invalid_argument);
    EXPECT_THROW(add("/files/{path...}/x"), std::invalid_argument);
    EXPECT_THROW(add("/files/*/x"), std::invalid_argument);
    EXPECT_THROW(add("/{id}/{id}"), std::invalid_argument);
    EXPECT_THROW(add("/{id}/{id...}"), std::invalid_argument);
    EXPECT_THROW(add("/{...}"), std::invalid_argument);
    EXPECT_THROW(add("hello"), std::invalid_argument);
    EXPECT_THROW(add(""), std::invalid_argument);
    EXPECT_TRUE(router.empty());  // nothing half-added
}

TEST(Router, AcceptsWellFormedPatterns) {
    Router router;
    for (std::string pattern :
         {"/", "/a", "/a/", "/{a}", "/{a}/{b}/", "/{a...}", "/*", "/x/*", "/{a}/{b...}"}) {
        EXPECT_NO_THROW(router.add(Route{"GET", pattern, Route::Match::pattern, named("h")}))
            << pattern;
    }
}

TEST(Router, LetsTheFirstMatchingRouteWinInAddOrder) {
    Router router;
    router.add(Route{"GET", "/users/me", Route::Match::pattern, named("me")});
    router.add(Route{"GET", "/users/{id}", Route::Match::pattern, named("id")});
    router.add(Route{"GET", "/users/*", Route::Match::pattern, named("rest")});
    RouteMatch me = router.match("GET", "/users/me");
    ASSERT_NE(me.route, nullptr);
    EXPECT_EQ(me.route->path, "/users/me");
    EXPECT_TRUE(me.params.empty());
    RouteMatch id = router.match("GET", "/users/7");
    ASSERT_NE(id.route, nullptr);
    EXPECT_EQ(id.route->path, "/users/{id}");
    EXPECT_EQ(id.params, (Params{{"id", "7"}}));
    RouteMatch rest = router.match("GET", "/users/7/x");
    ASSERT_NE(rest.route, nullptr);
    EXPECT_EQ(rest.route->path, "/users/*");

    Router reversed;
    reversed.add(Route{"GET", "/users/{id}", Route::Match::pattern, named("id")});
    reversed.add(Route{"GET", "/users/me", Route::Match::pattern, named("me")});
    EXPECT_EQ(reversed.match("GET", "/users/me").route->path, "/users/{id}");
}

TEST(Router, ComparesExactRoutesWithTheRawPath) {
    Router router;
    router.add("/status", Route::Match::exact, named("status"));
    EXPECT_NE(router.match("GET", "/status").handler, nullptr);
    EXPECT_EQ(router.match("GET", "/status/").handler, nullptr);
    EXPECT_EQ(router.match("GET", "/st%61tus").handler, nullptr);
    EXPECT_EQ(router.match("GET", "/x/../status").handler, nullptr);
    EXPECT_EQ(router.match("GET", "//status").handler, nullptr);
    // Braces mean nothing in an exact route.
    Router braces;
    EXPECT_NO_THROW(braces.add("/{x", Route::Match::exact, named("x")));
    EXPECT_NE(braces.match("GET", "/{x").handler, nullptr);
}

TEST(Router, ComparesPrefixRoutesWithTheRawPath) {
    Router router;
    router.add("/static/", Route::Match::prefix, named("static"));
    router.add("/", Route::Match::prefix, named("root"));
    RouteMatch stat = router.match("GET", "/static/a/b.css");
    ASSERT_NE(stat.route, nullptr);
    EXPECT_EQ(stat.route->path, "/static/");
    EXPECT_TRUE(stat.params.empty());
    EXPECT_EQ(router.match("GET", "/static/").route->path, "/static/");
    EXPECT_EQ(router.match("GET", "/static").route->path, "/");
    EXPECT_EQ(router.match("GET", "/x/../static/a").route->path, "/");
    EXPECT_EQ(router.match("GET", "/%73tatic/a").route->path, "/");
}

TEST(Router, MixesExactPrefixAndPatternRoutesInOrder) {
    Router router;
    router.add("/health", Route::Match::exact, named("health"));
    router.add(Route{"GET", "/{page}", Route::Match::pattern, named("page")});
    router.add("/", Route::Match::prefix, named("static"));
    EXPECT_EQ(router.match("GET", "/health").route->path, "/health");
    EXPECT_EQ(router.match("GET", "/about").route->path, "/{page}");
    EXPECT_EQ(router.match("GET", "/a/b").route->path, "/");
    EXPECT_EQ(router.routes().size(), 3U);
}

TEST(Router, AnswersHeadFromGetRoutes) {
    Router router = with_pattern("GET", "/x");
    RouteMatch head = router.match("HEAD", "/x");
    EXPECT_NE(head.handler, nullptr);
    EXPECT_TRUE(head.allow.empty());
}

TEST(Router, AnswersGetOnlyFromGetRoutesNotHeadRoutes) {
    Router router = with_pattern("HEAD", "/x");
    EXPECT_NE(router.match("HEAD", "/x").handler, nullptr);
    RouteMatch get = router.match("GET", "/x");
    EXPECT_EQ(get.handler, nullptr);
    EXPECT_EQ(get.allow, "HEAD");
}

TEST(Router, ComparesMethodsCaseSensitively) {
    Router router = with_pattern("GET", "/x");
    RouteMatch lower = router.match("get", "/x");
    EXPECT_EQ(lower.handler, nullptr);
    EXPECT_EQ(lower.allow, "GET, HEAD");
}

TEST(Router, ListsTheOtherMethodsOfAPathInAllow) {
    Router router;
    router.add(Route{"GET", "/items/{id}", Route::Match::pattern, named("get")});
    router.add(Route{"PUT", "/items/{id}", Route::Match::pattern, named("put")});
    router.add(Route{"GET", "/items/{name}", Route::Match::pattern, named("again")});
    router.add(Route{"HEAD", "/items/*", Route::Match::pattern, named("head")});
    router.add(Route{"DELETE", "/items/{id}", Route::Match::pattern, named("delete")});
    router.add(Route{"POST", "/other", Route::Match::pattern, named("other")});
    RouteMatch post = router.match("POST", "/items/7");
    EXPECT_EQ(post.handler, nullptr);
    EXPECT_EQ(post.route, nullptr);
    EXPECT_TRUE(post.params.empty());
    EXPECT_EQ(post.allow, "GET, HEAD, PUT, DELETE");
}

TEST(Router, LeavesAllowEmptyWhenNoRouteHasThePath) {
    Router router = with_pattern("POST", "/x");
    RouteMatch none = router.match("GET", "/y");
    EXPECT_EQ(none.handler, nullptr);
    EXPECT_TRUE(none.allow.empty());
}

TEST(Router, PrefersALaterRouteOfTheRightMethodToA405) {
    Router router;
    router.add(Route{"POST", "/x", Route::Match::pattern, named("post")});
    router.add(Route{"GET", "/{any}", Route::Match::pattern, named("get")});
    RouteMatch get = router.match("GET", "/x");
    ASSERT_NE(get.route, nullptr);
    EXPECT_EQ(get.route->path, "/{any}");
    EXPECT_TRUE(get.allow.empty());
}

TEST(Router, LetsARouteWithNoMethodAnswerEveryMethod) {
    Router router = with_pattern("", "/any");
    for (std::string_view method : {"GET", "HEAD", "POST", "DELETE", "BREW"}) {
        EXPECT_NE(router.match(method, "/any").handler, nullptr) << method;
    }
}

TEST(Router, FindsAHandlerForAPathWhateverItsMethod) {
    Router router = with_pattern("POST", "/x/{id}");
    EXPECT_NE(router.find("/x/1"), nullptr);
    EXPECT_EQ(router.find("/y"), nullptr);
}

TEST(Router, GivesTheMatchedHandler) {
    Router router;
    router.add(Route{"GET", "/a", Route::Match::pattern, named("a")});
    router.add(Route{"GET", "/b", Route::Match::pattern, named("b")});
    Handler* handler = router.match("GET", "/b").handler;
    ASSERT_NE(handler, nullptr);
    Response response = handler->handle(Request{});
    EXPECT_EQ(std::get<std::string>(response.body), "b");
    EXPECT_EQ(handler, router.routes()[1].handler.get());
}

TEST(Router, IsEmptyUntilARouteIsAdded) {
    Router router;
    EXPECT_TRUE(router.empty());
    EXPECT_EQ(router.match("GET", "/").handler, nullptr);
    router.add("/", Route::Match::prefix, named("root"));
    EXPECT_FALSE(router.empty());
    EXPECT_EQ(router.routes().front().method, "");
}

TEST(Router, SurvivesACopy) {
    Router copy;
    {
        Router original = with_pattern("GET", "/hello/{name}");
        copy = original;
    }
    RouteMatch match = copy.match("GET", "/hello/x");
    ASSERT_NE(match.route, nullptr);
    EXPECT_EQ(match.route, &copy.routes()[0]);
    EXPECT_EQ(match.params, (Params{{"name", "x"}}));
}

TEST(MakeHandler, UsesAFixedDispatch) {
    auto handler = make_handler(inline_, [](const Request&) { return Response::text("x"); });
    EXPECT_EQ(handler->dispatch(Request{}), Dispatch::inline_);
    EXPECT_EQ(std::get<std::string>(handler->handle(Request{}).body), "x");
}

TEST(MakeHandler, ChoosesTheDispatchPerRequest) {
    auto handler = make_handler(
        [](const Request& request) { return request.query.empty() ? inline_ : blocking; },
        [](const Request&) { return Response::text("x"); });
    Request quick;
    Request slow;
    slow.query = "sleep";
    EXPECT_EQ(handler->dispatch(quick), Dispatch::inline_);
    EXPECT_EQ(handler->dispatch(slow), Dispatch::blocking);
}

}  // namespace
}  // namespace forkd
