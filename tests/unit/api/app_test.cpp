#include "forkd/app.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "forkd/testing.hpp"

namespace forkd {
namespace {

Response ok(const Request&) {
    return Response::text("ok");
}

HandlerFunction saying(std::string text) {
    return [text = std::move(text)](const Request&) { return Response::text(text); };
}

TEST(App, RecordsRoutesInOrderWithTheirMethods) {
    App app;
    app.get("/a", ok)
        .post("/a", ok)
        .put("/a", ok)
        .patch("/a", ok)
        .del("/a", ok)
        .route("", "/any", ok)
        .route("PROPFIND", "/dav", ok);
    std::vector<std::string> methods;
    for (const App::Entry& entry : app.entries()) {
        EXPECT_FALSE(entry.is_builtin);
        EXPECT_EQ(entry.route.match, Route::Match::pattern);
        ASSERT_NE(entry.route.handler, nullptr);
        methods.push_back(entry.route.method);
    }
    EXPECT_EQ(methods,
              (std::vector<std::string>{"GET", "POST", "PUT", "PATCH", "DELETE", "", "PROPFIND"}));
    EXPECT_EQ(app.entries().back().route.path, "/dav");
}

TEST(App, AnswersEachMethodWithItsHandler) {
    App app;
    app.get("/r", saying("get"))
        .post("/r", saying("post"))
        .put("/r", saying("put"))
        .patch("/r", saying("patch"))
        .del("/r", saying("delete"));
    EXPECT_EQ(testing::call(app, "GET", "/r").body, "get");
    EXPECT_EQ(testing::call(app, "POST", "/r").body, "post");
    EXPECT_EQ(testing::call(app, "PUT", "/r").body, "put");
    EXPECT_EQ(testing::call(app, "PATCH", "/r").body, "patch");
    EXPECT_EQ(testing::call(app, "DELETE", "/r").body, "delete");
    EXPECT_EQ(testing::call(app, "HEAD", "/r").status, 200);
    testing::Result options = testing::call(app, "OPTIONS", "/r");
    EXPECT_EQ(options.status, 405);
    EXPECT_EQ(options.headers.get("Allow"), "GET, HEAD, POST, PUT, PATCH, DELETE");
}

TEST(App, ThrowsForABadPatternWhereItIsDeclared) {
    App app;
    EXPECT_THROW(app.get("/hello/{name", ok), std::invalid_argument);
    EXPECT_THROW(app.post("/files/{path...}/x", ok), std::invalid_argument);
    EXPECT_THROW(app.put("/{id}/{id}", ok), std::invalid_argument);
    EXPECT_THROW(app.route("GET", "no-slash", ok), std::invalid_argument);
    EXPECT_THROW(app.get("/x/*/y", ok, [](const Request&) { return inline_; }),
                 std::invalid_argument);
    EXPECT_TRUE(app.entries().empty());
}

TEST(App, KeepsTheDispatchOfEachRoute) {
    App app;
    app.get("/blocking", ok);
    app.get("/inline", ok, inline_);
    app.get("/chosen", ok,
            [](const Request& request) { return request.query == "sleep" ? blocking : inline_; });
    auto handler = [&](std::size_t i) { return app.entries().at(i).route.handler; };
    Request plain;
    Request sleepy;
    sleepy.query = "sleep";
    EXPECT_EQ(handler(0)->dispatch(plain), Dispatch::blocking);
    EXPECT_EQ(handler(1)->dispatch(plain), Dispatch::inline_);
    EXPECT_EQ(handler(2)->dispatch(plain), Dispatch::inline_);
    EXPECT_EQ(handler(2)->dispatch(sleepy), Dispatch::blocking);
}

TEST(App, TakesAHandlerObject) {
    struct Counter final : Handler {
        int calls = 0;
        Dispatch dispatch(const Request&) const override { return inline_; }
        Response handle(const Request&) override {
            ++calls;
            return Response::text(std::to_string(calls));
        }
    };
    auto counter = std::make_shared<Counter>();
    App app;
    app.route("GET", "/count", counter);
    EXPECT_EQ(testing::call(app, "GET", "/count").body, "1");
    EXPECT_EQ(testing::call(app, "GET", "/count").body, "2");
    EXPECT_EQ(counter->calls, 2);
}

TEST(App, PlacesNoBuiltinsUntilOneIsMounted) {
    App app;
    app.get("/a", ok);
    EXPECT_FALSE(app.places_builtins());
    EXPECT_FALSE(app.mounts(Builtin::status));
    EXPECT_FALSE(app.mounts(Builtin::demo));
    EXPECT_FALSE(app.mounts(Builtin::static_files));
}

TEST(App, MountsBuiltinsWhereTheyAreAdded) {
    App app;
    app.mount(Builtin::status).get("/a", ok).mount(Builtin::static_files);
    EXPECT_TRUE(app.places_builtins());
    EXPECT_TRUE(app.mounts(Builtin::status));
    EXPECT_TRUE(app.mounts(Builtin::static_files));
    EXPECT_FALSE(app.mounts(Builtin::demo));
    ASSERT_EQ(app.entries().size(), 3U);
    EXPECT_TRUE(app.entries()[0].is_builtin);
    EXPECT_EQ(app.entries()[0].builtin, Builtin::status);
    EXPECT_FALSE(app.entries()[1].is_builtin);
    EXPECT_EQ(app.entries()[1].route.path, "/a");
    EXPECT_TRUE(app.entries()[2].is_builtin);
    EXPECT_EQ(app.entries()[2].builtin, Builtin::static_files);
}

TEST(App, MountsEachBuiltinOnce) {
    App app;
    app.mount(Builtin::demo).get("/a", ok).mount(Builtin::demo);
    ASSERT_EQ(app.entries().size(), 2U);
    EXPECT_EQ(app.entries()[0].builtin, Builtin::demo);
    EXPECT_TRUE(app.mounts(Builtin::demo));
}

TEST(App, LeavesBuiltinsOutOfItsRouter) {
    App app;
    app.mount(Builtin::status).get("/a", ok).mount(Builtin::static_files).post("/b", ok);
    Router router = app.router();
    ASSERT_EQ(router.routes().size(), 2U);
    EXPECT_EQ(router.routes()[0].path, "/a");
    EXPECT_EQ(router.routes()[1].path, "/b");
    EXPECT_NE(router.match("GET", "/a").handler, nullptr);
    EXPECT_TRUE(App{}.router().empty());
}

TEST(App, RunsHooksInTheOrderTheyWereAdded) {
    std::vector<std::string> ran;
    App app;
    app.on_preload([&] { ran.push_back("preload 1"); })
        .on_worker_start([&] { ran.push_back("start 1"); })
        .on_worker_exit([&] { ran.push_back("exit 1"); })
        .on_preload([&] { ran.push_back("preload 2"); })
        .on_worker_start([&] { ran.push_back("start 2"); })
        .on_worker_exit([&] { ran.push_back("exit 2"); });
    EXPECT_TRUE(ran.empty());
    app.run_preload_hooks();
    EXPECT_EQ(ran, (std::vector<std::string>{"preload 1", "preload 2"}));
    ran.clear();
    app.run_worker_start_hooks();
    EXPECT_EQ(ran, (std::vector<std::string>{"start 1", "start 2"}));
    ran.clear();
    app.run_worker_exit_hooks();
    EXPECT_EQ(ran, (std::vector<std::string>{"exit 1", "exit 2"}));
}

TEST(App, RunsNoHooksWhenThereAreNone) {
    App app;
    EXPECT_NO_THROW(app.run_preload_hooks());
    EXPECT_NO_THROW(app.run_worker_start_hooks());
    EXPECT_NO_THROW(app.run_worker_exit_hooks());
}

TEST(App, KeepsOneErrorPagePerStatus) {
    App app;
    app.error_page(404, "first 404")
        .error_page(500, R"({"error":1})", "application/json")
        .error_page(404, "second 404", "text/plain");
    ASSERT_EQ(app.error_pages().size(), 2U);
    const App::ErrorPage* missing = nullptr;
    for (const App::ErrorPage& page : app.error_pages()) {
        if (page.status == 404) missing = &page;
    }
    ASSERT_NE(missing, nullptr);
    EXPECT_EQ(missing->body, "second 404");
    EXPECT_EQ(missing->content_type, "text/plain");
    const App::ErrorPage& failed =
        app.error_pages()[0].status == 500 ? app.error_pages()[0] : app.error_pages()[1];
    EXPECT_EQ(failed.body, R"({"error":1})");
    EXPECT_EQ(failed.content_type, "application/json");
}

TEST(App, GivesErrorPagesAnHtmlTypeByDefault) {
    App app;
    app.error_page(502, "<p>down</p>");
    ASSERT_EQ(app.error_pages().size(), 1U);
    EXPECT_EQ(app.error_pages()[0].content_type, "text/html; charset=utf-8");
}

TEST(App, CopiesShareHandlersButNotRoutes) {
    App app;
    app.get("/a", ok);
    App copy = app;
    copy.get("/b", ok);
    EXPECT_EQ(app.entries().size(), 1U);
    EXPECT_EQ(copy.entries().size(), 2U);
    EXPECT_EQ(testing::call(app, "GET", "/b").status, 404);
    EXPECT_EQ(testing::call(copy, "GET", "/b").status, 200);
}

TEST(Version, IsADottedTriple) {
    std::string text = version();
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(std::count(text.begin(), text.end(), '.'), 2) << text;
}

}  // namespace
}  // namespace forkd
