#include "api/respond.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "api/error_pages.hpp"
#include "forkd/testing.hpp"

namespace forkd::api {
namespace {

using forkd::testing::make_request;

std::shared_ptr<Handler> answering(std::string text) {
    return make_handler(blocking, [text = std::move(text)](const Request& request) {
        std::string body = text;
        for (const auto& [name, value] : request.params)
            body += " " + name + "=" + value;
        return Response::text(body);
    });
}

Router items_router() {
    Router router;
    router.add(Route{"GET", "/items/{id}", Route::Match::pattern, answering("get")});
    router.add(Route{"DELETE", "/items/{id}", Route::Match::pattern, answering("delete")});
    router.add(Route{"POST", "/items", Route::Match::pattern, answering("post")});
    return router;
}

const std::string& bytes_of(const Response& response) {
    return std::get<std::string>(response.body);
}

TEST(RouteRequest, RecordsThePatternAndParametersInTheRequest) {
    Router router = items_router();
    Request request = make_request("GET", "/items/a%20b?x=1");
    RouteMatch match = route_request(router, request);
    ASSERT_NE(match.handler, nullptr);
    EXPECT_EQ(request.route, "/items/{id}");
    EXPECT_EQ(request.param("id"), "a b");
    EXPECT_EQ(request.path, "/items/a%20b");  // the path itself stays as sent
}

TEST(RouteRequest, LeavesTheRequestAloneWhenNothingMatches) {
    Router router = items_router();
    Request request = make_request("GET", "/nothing");
    RouteMatch match = route_request(router, request);
    EXPECT_EQ(match.handler, nullptr);
    EXPECT_EQ(request.route, "");
    EXPECT_TRUE(request.params.empty());
}

TEST(RouteRequest, RecordsAnExactRoutesPathAsItsRoute) {
    Router router;
    router.add("/status", Route::Match::exact, answering("status"));
    Request request = make_request("GET", "/status");
    route_request(router, request);
    EXPECT_EQ(request.route, "/status");
    EXPECT_TRUE(request.params.empty());
}

TEST(RouteRequest, MatchesNoRouteForOptionsStar) {
    Router router;
    router.add(Route{"", "/*", Route::Match::pattern, answering("any")});
    router.add("*", Route::Match::exact, answering("star"));
    Request request = make_request("OPTIONS", "*");
    RouteMatch match = route_request(router, request);
    EXPECT_EQ(match.handler, nullptr);
    EXPECT_TRUE(match.allow.empty());
}

TEST(Respond, CallsTheMatchedHandler) {
    Router router = items_router();
    Request request = make_request("GET", "/items/7");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(bytes_of(response), "get id=7");
}

TEST(Respond, AnswersHeadWithTheGetRoute) {
    Router router = items_router();
    Request request = make_request("HEAD", "/items/7");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(request.route, "/items/{id}");
}

TEST(Respond, Answers405WithAllowForAPathOfOtherMethods) {
    Router router = items_router();
    Request request = make_request("PUT", "/items/7");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD, DELETE");
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
    EXPECT_FALSE(response.close);
    EXPECT_EQ(request.route, "");
}

TEST(Respond, EscapesTheMethodInA405Page) {
    Router router = items_router();
    Request request = make_request("<b>", "/items/7");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(bytes_of(response).find("<b>"), std::string::npos);
}

TEST(Respond, Answers404ForAPathNobodyServes) {
    Router router = items_router();
    Request request = make_request("GET", "/elsewhere");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 404);
    EXPECT_FALSE(response.headers.contains("Allow"));
    EXPECT_FALSE(response.close);
    Router empty;
    Request again = make_request("GET", "/");
    EXPECT_EQ(respond(empty, again).status, 404);
}

TEST(Respond, Answers500AndClosesWhenAHandlerThrows) {
    Router router;
    router.add(Route{"GET", "/boom", Route::Match::pattern,
                     make_handler(blocking, [](const Request&) -> Response {
                         throw std::runtime_error("database <gone>");
                     })});
    Request request = make_request("GET", "/boom");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 500);
    EXPECT_TRUE(response.close);
    // What the exception said goes to the log, never to the client.
    EXPECT_EQ(bytes_of(response).find("database"), std::string::npos);
}

TEST(Respond, Answers500AndClosesWhenAHandlerThrowsSomethingElse) {
    Router router;
    router.add(Route{"GET", "/boom", Route::Match::pattern,
                     make_handler(blocking, [](const Request&) -> Response { throw 42; })});
    Request request = make_request("GET", "/boom");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 500);
    EXPECT_TRUE(response.close);
}

TEST(Respond, UsesTheAppsErrorPages) {
    set_error_pages({{404, "custom missing", "text/plain"}, {405, "custom method", "text/plain"}});
    Router router = items_router();
    Request missing = make_request("GET", "/nothing");
    Response not_found = respond(router, missing);
    Request wrong = make_request("PUT", "/items/1");
    Response not_allowed = respond(router, wrong);
    set_error_pages({});
    EXPECT_EQ(not_found.status, 404);
    EXPECT_EQ(bytes_of(not_found), "custom missing");
    EXPECT_EQ(not_allowed.status, 405);
    EXPECT_EQ(bytes_of(not_allowed), "custom method");
    EXPECT_EQ(not_allowed.headers.get("Allow"), "GET, HEAD, DELETE");
}

TEST(Respond, AnswersOptionsStarWithTheServersMethods) {
    Router router = items_router();
    Request request = make_request("OPTIONS", "*");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD, OPTIONS");
    EXPECT_EQ(bytes_of(response), "");
}

TEST(Respond, RefusesOtherMethodsOnStar) {
    Router router = items_router();
    Request request = make_request("GET", "*");
    Response response = respond(router, request);
    EXPECT_EQ(response.status, 400);
}

TEST(Respond, LetsARouteForEveryMethodAnswerThemAll) {
    Router router;
    router.add(
        Route{"", "/any", Route::Match::pattern, make_handler(blocking, [](const Request& request) {
                  return Response::text(request.method);
              })});
    for (std::string method : {"GET", "POST", "PROPFIND"}) {
        Request request = make_request(method, "/any");
        Response response = respond(router, request);
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(bytes_of(response), method);
    }
}

}  // namespace
}  // namespace forkd::api
