// The access log's lines: the combined format unchanged, and one JSON object per line that
// a JSON parser reads back field for field, whatever bytes the client sent.
#include "session/access_log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace forkd::session {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

Request sample_request() {
    Request request;
    request.method = "GET";
    request.target = "/a?b=1";
    request.version = 11;
    request.request_id = "3f9c0a7d51e2b846000002a1";
    request.headers.add("User-Agent", "curl/7.88.1");
    return request;
}

// 2026-11-26T19:51:24.127Z
const auto kWhen = std::chrono::system_clock::time_point(1795722684127ms);

TEST(AccessLog, JsonLineHasEveryFieldWithItsType) {
    Request request = sample_request();
    std::string peer = "[::1]:40000";
    std::string line = format_json({.peer = peer,
                                    .request = &request,
                                    .status = 200,
                                    .body_bytes = 14,
                                    .duration = 1234us,
                                    .queue_wait = 56us,
                                    .worker_pid = 4242,
                                    .route_kind = "blocking"},
                                   kWhen);
    ASSERT_TRUE(line.ends_with("}\n"));
    EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line
    Json entry = Json::parse(line);
    EXPECT_EQ(entry["time"], "2026-11-26T19:51:24.127Z");
    EXPECT_EQ(entry["remote"], "::1");
    EXPECT_EQ(entry["method"], "GET");
    EXPECT_EQ(entry["target"], "/a?b=1");
    EXPECT_EQ(entry["protocol"], "HTTP/1.1");
    EXPECT_EQ(entry["status"], 200);
    EXPECT_EQ(entry["bytes"], 14);
    EXPECT_EQ(entry["duration_us"], 1234);
    EXPECT_EQ(entry["queue_wait_us"], 56);
    EXPECT_EQ(entry["worker_pid"], 4242);
    EXPECT_EQ(entry["route_kind"], "blocking");
    EXPECT_EQ(entry["request_id"], "3f9c0a7d51e2b846000002a1");
    EXPECT_TRUE(entry["referer"].is_null());
    EXPECT_EQ(entry["user_agent"], "curl/7.88.1");
}

TEST(AccessLog, JsonLineOfUnparsedBytesHasNullRequestFields) {
    std::string peer = "127.0.0.1:5555";
    Json entry = Json::parse(format_json({.peer = peer, .request = nullptr, .status = 400}, kWhen));
    EXPECT_EQ(entry["status"], 400);
    EXPECT_TRUE(entry["method"].is_null());
    EXPECT_TRUE(entry["target"].is_null());
    EXPECT_TRUE(entry["request_id"].is_null());
    EXPECT_EQ(entry["route_kind"], "none");
}

TEST(AccessLog, JsonLineCannotBeForgedOrBrokenByTheClientsBytes) {
    Request request = sample_request();
    request.target = "/\"},\n{\"status\":500";
    request.headers.set("User-Agent", std::string("bad \xff\xfe utf-8 \x01", 14));
    std::string peer = "127.0.0.1:5555";
    std::string line = format_json({.peer = peer, .request = &request, .status = 200}, kWhen);
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    Json entry = Json::parse(line);
    EXPECT_EQ(entry["target"], "/\"},\n{\"status\":500");
    EXPECT_EQ(entry["status"], 200);
    EXPECT_EQ(entry["user_agent"], "bad \xEF\xBF\xBD\xEF\xBF\xBD utf-8 \x01");
}

TEST(AccessLog, CombinedLineIsNginxs) {
    Request request = sample_request();
    std::string peer = "127.0.0.1:5555";
    std::string line =
        format_combined({.peer = peer, .request = &request, .status = 200, .body_bytes = 14}, 0);
    EXPECT_TRUE(line.starts_with("127.0.0.1 - - ["));
    EXPECT_TRUE(line.ends_with("] \"GET /a?b=1 HTTP/1.1\" 200 14 \"-\" \"curl/7.88.1\"\n"));
}

}  // namespace
}  // namespace forkd::session
