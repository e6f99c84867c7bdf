#include "handlers/test_routes.hpp"

#include <gtest/gtest.h>

namespace forkd::handlers {
namespace {

Request get(std::string path, std::string query = "") {
    Request request;
    request.method = "GET";
    request.path = std::move(path);
    request.query = std::move(query);
    request.target = request.query.empty() ? request.path : request.path + "?" + request.query;
    request.remote_addr = "127.0.0.1:5000";
    return request;
}

class TestRoutes : public ::testing::Test {
  protected:
    TestRoutes() { add_test_routes(router); }

    Handler& route(std::string_view name) {
        Handler* handler = router.find(std::string(kTestRoutePrefix) + std::string(name));
        EXPECT_NE(handler, nullptr) << name;
        return *handler;
    }

    Router router;
};

TEST_F(TestRoutes, FaultRoutesAreAllBlockingSoTheyNeverRunInAnEventLoop) {
    for (std::string_view name : {"crash", "abort", "leak", "hang"}) {
        std::string path = std::string(kTestRoutePrefix) + std::string(name);
        EXPECT_EQ(route(name).dispatch(get(path)), Dispatch::blocking) << name;
    }
}

TEST_F(TestRoutes, LiveUnderTheirOwnPrefixOnly) {
    EXPECT_EQ(router.find("/crash"), nullptr);
    EXPECT_EQ(router.find("/__forkd_test/"), nullptr);
    EXPECT_EQ(router.find("/__forkd_test/crashes"), nullptr);
}

TEST_F(TestRoutes, LeakAnswersWithTheMegabytesLeaked) {
    Response response = route("leak").handle(get("/__forkd_test/leak", "mb=1"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(std::get<std::string>(response.body), "leaked 1 MiB\n");
}

TEST_F(TestRoutes, LeakRejectsAMissingOrOversizedAmount) {
    EXPECT_EQ(route("leak").handle(get("/__forkd_test/leak")).status, 400);
    EXPECT_EQ(route("leak").handle(get("/__forkd_test/leak", "mb=lots")).status, 400);
    EXPECT_EQ(route("leak").handle(get("/__forkd_test/leak", "mb=999999")).status, 400);
}

TEST_F(TestRoutes, HangReturnsAfterTheSecondsAsked) {
    Response response = route("hang").handle(get("/__forkd_test/hang", "seconds=0"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(route("hang").handle(get("/__forkd_test/hang", "seconds=-1")).status, 400);
}

TEST(TestRouteQuery, ReadsANamedNonNegativeInteger) {
    EXPECT_EQ(query_integer("mb=12", "mb"), 12);
    EXPECT_EQ(query_integer("x=1&mb=3&mb=4", "mb"), 3);
    EXPECT_EQ(query_integer("x=1", "mb"), std::nullopt);
    EXPECT_EQ(query_integer("", "mb"), std::nullopt);
    EXPECT_EQ(query_integer("mb", "mb"), -1);
    EXPECT_EQ(query_integer("mb=1x", "mb"), -1);
    EXPECT_EQ(query_integer("mb=-2", "mb"), -1);
    EXPECT_EQ(query_integer("mbx=2", "mb"), std::nullopt);
}

TEST_F(TestRoutes, BodyRoutesDescribeTheBodyWithItsLengthAndCrc32) {
    Request request = get("/__forkd_test/body");
    request.method = "POST";
    request.body = "123456789";  // the CRC-32 check value is cbf43926
    EXPECT_EQ(std::get<std::string>(route("body").handle(request).body), "9 cbf43926\n");
    EXPECT_EQ(route("body").dispatch(request), Dispatch::blocking);
    EXPECT_EQ(route("body-inline").dispatch(request), Dispatch::inline_);
    EXPECT_EQ(std::get<std::string>(route("body-inline").handle(get("/")).body), "0 00000000\n");
}

TEST(Crc32, ContinuesFromAPreviousValue) {
    EXPECT_EQ(crc32("56789", crc32("1234")), crc32("123456789"));
}

}  // namespace
}  // namespace forkd::handlers
