#include "handlers/demo.hpp"

#include <gtest/gtest.h>

#include "http/response_head.hpp"

namespace forkd::handlers {
namespace {

config::DemoConfig demo_with(int sleep_seconds, int max_sleep_seconds) {
    config::DemoConfig demo;
    demo.sleep_seconds = std::chrono::seconds(sleep_seconds);
    demo.max_sleep_seconds = max_sleep_seconds;
    return demo;
}

Request get(std::string query, std::string method = "GET") {
    Request request;
    request.method = std::move(method);
    request.path = "/";
    request.query = std::move(query);
    request.target = request.query.empty() ? "/" : "/?" + request.query;
    return request;
}

TEST(DemoSleep, QueryWithoutSleepAsksForNone) {
    EXPECT_FALSE(parse_sleep("", demo_with(10, 60)).wanted);
    EXPECT_FALSE(parse_sleep("a=1&b=2", demo_with(10, 60)).wanted);
}

TEST(DemoSleep, BareSleepUsesTheConfiguredDuration) {
    SleepRequest sleep = parse_sleep("sleep", demo_with(7, 60));
    ASSERT_TRUE(sleep.wanted);
    EXPECT_EQ(sleep.duration, std::chrono::seconds(7));
}

TEST(DemoSleep, SleepIsFoundInAnyCaseAndAnywhereInTheQuery) {
    EXPECT_TRUE(parse_sleep("SLEEP", demo_with(1, 60)).wanted);
    EXPECT_TRUE(parse_sleep("x=1&NoSleep", demo_with(1, 60)).wanted);
    EXPECT_EQ(parse_sleep("x=1&Sleep=3", demo_with(1, 60)).duration, std::chrono::seconds(3));
}

TEST(DemoSleep, ExplicitSecondsFromZeroToTheCapAreAccepted) {
    EXPECT_EQ(parse_sleep("sleep=0", demo_with(10, 60)).duration, std::chrono::seconds(0));
    EXPECT_EQ(parse_sleep("sleep=60", demo_with(10, 60)).duration, std::chrono::seconds(60));
}

TEST(DemoSleep, AnythingButAnIntegerInRangeIsInvalid) {
    for (const char* query : {"sleep=61", "sleep=-1", "sleep=abc", "sleep=1.5",
                              "sleep=", "sleep=3x", "sleep=99999999999999999999"}) {
        SleepRequest sleep = parse_sleep(query, demo_with(10, 60));
        EXPECT_TRUE(sleep.wanted) << query;
        EXPECT_FALSE(sleep.duration.has_value()) << query;
    }
}

TEST(DemoHandler, RootAnswersThisIsServerAsHtml) {
    DemoHandler handler(demo_with(10, 60));
    Response response = handler.handle(get(""));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(std::get<std::string>(response.body), "this is server");
    // As the client sees it: the field may be kept serialised (Response::ready_fields).
    std::string head = http::serialize_head(response, http::HeadOptions{});
    EXPECT_NE(head.find("\r\nContent-Type: text/html; charset=utf-8\r\n"), std::string::npos)
        << head;
}

TEST(DemoHandler, SleepIsBlockingAndPlainRootIsInline) {
    DemoHandler handler(demo_with(10, 60));
    EXPECT_EQ(handler.dispatch(get("")), Dispatch::inline_);
    EXPECT_EQ(handler.dispatch(get("sleep=1")), Dispatch::blocking);
}

TEST(DemoHandler, ZeroSecondSleepAnswersBusyWaiting) {
    DemoHandler handler(demo_with(10, 60));
    Response response = handler.handle(get("sleep=0"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(std::get<std::string>(response.body), "繁忙等待");
}

TEST(DemoHandler, BadSleepIsA400ThatNamesTheRange) {
    DemoHandler handler(demo_with(10, 60));
    Response response = handler.handle(get("sleep=abc"));
    EXPECT_EQ(response.status, 400);
    EXPECT_NE(std::get<std::string>(response.body).find("from 0 to 60"), std::string::npos);
}

TEST(DemoHandler, PostIs405WithAllowHeader) {
    DemoHandler handler(demo_with(10, 60));
    Response response = handler.handle(get("", "POST"));
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD");
}

TEST(Router, FirstMatchingRouteWinsAndUnknownPathsFindNothing) {
    Router router;
    auto exact = make_handler(Dispatch::inline_, [](const Request&) { return Response{}; });
    auto prefix = make_handler(Dispatch::blocking, [](const Request&) { return Response{}; });
    router.add("/status", Route::Match::exact, exact);
    router.add("/static/", Route::Match::prefix, prefix);
    EXPECT_EQ(router.find("/status"), exact.get());
    EXPECT_EQ(router.find("/static/a.css"), prefix.get());
    EXPECT_EQ(router.find("/status/x"), nullptr);
    EXPECT_EQ(router.find("/"), nullptr);
}

}  // namespace
}  // namespace forkd::handlers
