#include "handlers/status.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace forkd::handlers {
namespace {

using nlohmann::json;

StatusInfo info_allowing(std::vector<std::string> allow = {}) {
    StatusInfo info;
    info.mode = "prefork";
    info.pm = "dynamic";
    info.workers = 4;
    info.max_workers = 16;
    info.version = "0.1.0";
    info.allow = std::move(allow);
    return info;
}

Request get(std::string query = "", std::string remote_addr = "127.0.0.1:5000") {
    Request request;
    request.method = "GET";
    request.path = "/status";
    request.query = std::move(query);
    request.target = request.query.empty() ? "/status" : "/status?" + request.query;
    request.remote_addr = std::move(remote_addr);
    return request;
}

std::string body_of(const Response& response) {
    return std::get<std::string>(response.body);
}

// Five slots: 0 idle (served 2), 1 busy on "/<script>", 2 keepalive, 3 starting, 4 empty.
class StatusPage : public ::testing::Test {
  protected:
    StatusPage() {
        scoreboard.assign(0, 1000, 1, ipc::SlotRole::worker);
        for (int i = 0; i < 2; ++i) {
            scoreboard.begin_request(0, "GET", "/a", "127.0.0.1:1");
            scoreboard.end_request(0, ipc::SlotState::idle, 10);
        }
        scoreboard.assign(1, 1001, 1, ipc::SlotRole::worker);
        scoreboard.begin_request(1, "POST", "/<script>", "10.1.2.3:4567");
        scoreboard.assign(2, 1002, 1, ipc::SlotRole::worker);
        scoreboard.set_state(2, ipc::SlotState::keepalive);
        scoreboard.assign(3, 1003, 1, ipc::SlotRole::worker);
        scoreboard.header().accepted = 7;
        scoreboard.header().listen_queue = 3;
        scoreboard.header().max_listen_queue = 5;
        scoreboard.header().slow_requests = 1;
    }

    json json_of(const Request& request) {
        Response response = handler.handle(request);
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.headers.get("Content-Type"), "application/json");
        return json::parse(body_of(response));
    }

    ipc::Scoreboard scoreboard{5};
    StatusHandler handler{scoreboard, info_allowing()};
};

TEST_F(StatusPage, IsAlwaysInline) {
    EXPECT_EQ(handler.dispatch(get()), Dispatch::inline_);
    EXPECT_EQ(handler.dispatch(get("json&full")), Dispatch::inline_);
}

TEST_F(StatusPage, AllowsLoopbackOverIpv4Ipv6AndUnixSockets) {
    EXPECT_TRUE(handler.is_allowed(get("", "127.0.0.1:5000")));
    EXPECT_TRUE(handler.is_allowed(get("", "127.8.9.10:5000")));
    EXPECT_TRUE(handler.is_allowed(get("", "[::1]:4000")));
    EXPECT_TRUE(handler.is_allowed(get("", "[::ffff:127.0.0.1]:4000")));
    EXPECT_TRUE(handler.is_allowed(get("", "unix")));
}

TEST_F(StatusPage, DeniesOtherClientsWith403) {
    EXPECT_FALSE(handler.is_allowed(get("", "10.0.0.1:5000")));
    EXPECT_FALSE(handler.is_allowed(get("", "[2001:db8::1]:5000")));
    EXPECT_FALSE(handler.is_allowed(get("", "garbage")));
    EXPECT_EQ(handler.handle(get("json", "10.0.0.1:5000")).status, 403);
}

TEST_F(StatusPage, DeniesLoopbackRequestsThatCameThroughAProxy) {
    Request forwarded_for = get("", "127.0.0.1:5000");
    forwarded_for.headers.add("X-Forwarded-For", "203.0.113.9");
    EXPECT_FALSE(handler.is_allowed(forwarded_for));
    EXPECT_EQ(handler.handle(forwarded_for).status, 403);

    Request forwarded = get("", "unix");
    forwarded.headers.add("Forwarded", "for=203.0.113.9");
    EXPECT_FALSE(handler.is_allowed(forwarded));
}

TEST(StatusAccess, AllowsAddressesAndCidrBlocksFromStatusAllow) {
    ipc::Scoreboard scoreboard{1};
    StatusHandler handler{scoreboard, info_allowing({"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"})};
    EXPECT_TRUE(handler.is_allowed(get("", "10.200.3.4:5000")));
    EXPECT_TRUE(handler.is_allowed(get("", "[::ffff:10.1.1.1]:5000")));
    EXPECT_TRUE(handler.is_allowed(get("", "[2001:db8:1::5]:5000")));
    EXPECT_TRUE(handler.is_allowed(get("", "192.0.2.7:80")));
    EXPECT_FALSE(handler.is_allowed(get("", "192.0.2.8:80")));
    EXPECT_FALSE(handler.is_allowed(get("", "11.0.0.1:5000")));
}

TEST(StatusAccess, AnExplicitEntryAllowsAProxyOnItsAddress) {
    ipc::Scoreboard scoreboard{1};
    StatusHandler handler{scoreboard, info_allowing({"127.0.0.1"})};
    Request proxied = get("", "127.0.0.1:5000");
    proxied.headers.add("X-Forwarded-For", "203.0.113.9");
    EXPECT_TRUE(handler.is_allowed(proxied));
}

// session::name_client has run: remote_addr is the client the trusted peer named.
Request proxied_by(std::string peer, std::string client, std::string forwarded_for) {
    Request request = get("", std::move(client));
    request.peer_addr = std::move(peer);
    request.headers.add("X-Forwarded-For", std::move(forwarded_for));
    return request;
}

TEST(StatusAccess, ChecksTheClientATrustedProxyNamed) {
    ipc::Scoreboard scoreboard{1};
    StatusInfo info = info_allowing({"10.0.0.0/8"});
    info.trusted_proxies = {"127.0.0.1"};
    StatusHandler handler{scoreboard, info};
    EXPECT_FALSE(handler.is_allowed(proxied_by("127.0.0.1:5000", "203.0.113.9", "203.0.113.9")));
    EXPECT_TRUE(handler.is_allowed(proxied_by("127.0.0.1:5000", "10.1.2.3", "10.1.2.3")));
    // A loopback client behind a trusted proxy on the same host is local.
    EXPECT_TRUE(handler.is_allowed(proxied_by("127.0.0.1:5000", "127.0.0.5", "127.0.0.5")));
    // X-Real-IP, which forkd does not read, still hides who the client is.
    Request real_ip = get("", "127.0.0.1:5000");
    real_ip.peer_addr = "127.0.0.1:5000";
    real_ip.headers.add("X-Real-IP", "203.0.113.9");
    EXPECT_FALSE(handler.is_allowed(real_ip));
}

TEST(StatusAccess, ChecksAnUntrustedPeerItselfWhateverItsHeadersSay) {
    ipc::Scoreboard scoreboard{1};
    StatusInfo info = info_allowing();
    info.trusted_proxies = {"192.0.2.0/24"};
    StatusHandler handler{scoreboard, info};
    EXPECT_FALSE(handler.is_allowed(proxied_by("127.0.0.1:5000", "127.0.0.1:5000", "127.0.0.1")));
}

TEST(StatusAccess, RefusesAnInvalidAllowListEntry) {
    ipc::Scoreboard scoreboard{1};
    EXPECT_THROW(StatusHandler(scoreboard, info_allowing({"nonsense"})), std::invalid_argument);
}

TEST_F(StatusPage, CountsIdleActiveAndTotalFromSlotStates) {
    StatusSnapshot snapshot = take_snapshot(scoreboard, ipc::Scoreboard::now_ms());
    EXPECT_EQ(snapshot.idle, 1u);
    EXPECT_EQ(snapshot.active, 2u);  // busy and keepalive; starting is neither
    EXPECT_EQ(snapshot.total, 3u);
    EXPECT_EQ(snapshot.max_active, 2u);
    EXPECT_EQ(snapshot.processes.size(), 4u);  // the empty slot is left out
}

TEST_F(StatusPage, JsonHasThePoolFiguresWithTheirTypes) {
    json status = json_of(get("json"));
    EXPECT_EQ(status["mode"], "prefork");
    EXPECT_EQ(status["pm"], "dynamic");
    EXPECT_EQ(status["accepted_conn"], 7);
    EXPECT_EQ(status["requests"], 2);
    EXPECT_EQ(status["listen_queue"], 3);
    EXPECT_EQ(status["max_listen_queue"], 5);
    EXPECT_EQ(status["idle_processes"], 1);
    EXPECT_EQ(status["active_processes"], 2);
    EXPECT_EQ(status["total_processes"], 3);
    EXPECT_EQ(status["max_active_processes"], 2);
    EXPECT_EQ(status["max_workers_reached"], 0);
    EXPECT_EQ(status["slow_requests"], 1);
    EXPECT_TRUE(status["degraded"].is_boolean());
    EXPECT_FALSE(status["degraded"].get<bool>());
    EXPECT_TRUE(status["start_time"].is_number_unsigned());
    EXPECT_GT(status["start_time"].get<uint64_t>(), 1'600'000'000u);  // seconds, not ms
    EXPECT_TRUE(status["start_since"].is_number_unsigned());
    EXPECT_EQ(status["settings"]["max_workers"], 16);
    EXPECT_FALSE(status.contains("processes"));
}

TEST_F(StatusPage, ReportsDegradedWhenTheBackOffIsInForce) {
    scoreboard.header().degraded = 1;
    EXPECT_TRUE(json_of(get("json"))["degraded"].get<bool>());
}

TEST_F(StatusPage, ReportsTheQueueAndHowLongRequestsWaitedInIt) {
    ipc::ScoreboardHeader& header = scoreboard.header();
    header.queued = 3;
    header.max_queued = 7;
    header.queue_timeouts = 2;
    header.queue_wait_histogram[0] = 10;
    header.queue_wait_histogram[3] = 4;
    json status = json_of(get("json"));
    EXPECT_EQ(status["queue_length"].get<uint64_t>(), 3U);
    EXPECT_EQ(status["max_queue_length"].get<uint64_t>(), 7U);
    EXPECT_EQ(status["queue_timeouts"].get<uint64_t>(), 2U);
    EXPECT_EQ(status["queue_wait_under_1ms"].get<uint64_t>(), 10U);
    EXPECT_EQ(status["queue_wait_under_1s"].get<uint64_t>(), 4U);
    EXPECT_EQ(status["queue_wait_10s_or_more"].get<uint64_t>(), 0U);
}

TEST_F(StatusPage, FullJsonListsEveryProcessThatIsNotEmpty) {
    json processes = json_of(get("json&full"))["processes"];
    ASSERT_EQ(processes.size(), 4u);
    EXPECT_EQ(processes[0]["pid"], 1000);
    EXPECT_EQ(processes[0]["state"], "idle");
    EXPECT_EQ(processes[0]["requests"], 2);
    EXPECT_EQ(processes[0]["request_duration_ms"], 0);
    EXPECT_EQ(processes[0]["bytes_written"], 10);
    EXPECT_EQ(processes[1]["state"], "busy");
    EXPECT_EQ(processes[1]["method"], "POST");
    EXPECT_EQ(processes[1]["target"], "/<script>");
    EXPECT_EQ(processes[1]["client"], "10.1.2.3:4567");
    EXPECT_TRUE(processes[1]["request_duration_ms"].is_number_unsigned());
    EXPECT_TRUE(processes[1]["pss_kb"].is_number_unsigned());
    EXPECT_EQ(processes[2]["state"], "keepalive");
    EXPECT_EQ(processes[3]["state"], "starting");
    EXPECT_TRUE(json_of(get("full&json")).contains("processes"));
}

TEST_F(StatusPage, MeasuresTheRunningRequestFromItsStart) {
    uint64_t started = scoreboard.read(1).request_started_ms;
    StatusSnapshot snapshot = take_snapshot(scoreboard, started + 1500);
    EXPECT_EQ(snapshot.processes[1].request_duration_ms, 1500u);
    EXPECT_EQ(snapshot.processes[0].request_duration_ms, 0u);
}

TEST_F(StatusPage, JsonSurvivesTargetsThatAreNotUtf8) {
    scoreboard.begin_request(0, "GET", "/caf\xc3", "127.0.0.1:1");
    json processes = json_of(get("json&full"))["processes"];
    EXPECT_EQ(processes[0]["target"].get<std::string>().substr(0, 4), "/caf");
}

TEST_F(StatusPage, HtmlIsTheDefaultAndIsNeverCached) {
    Response response = handler.handle(get());
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(response.headers.get("Cache-Control"), "no-store");
    std::string html = body_of(response);
    EXPECT_NE(html.find("<th>accepted conn</th><td>7</td>"), std::string::npos);
    EXPECT_NE(html.find("<th>idle processes</th><td>1</td>"), std::string::npos);
    EXPECT_NE(html.find(" UTC</td>"), std::string::npos);
    EXPECT_EQ(html.find("<h2>Processes</h2>"), std::string::npos);
    EXPECT_EQ(handler.handle(get("json")).headers.get("Cache-Control"), "no-store");
}

TEST_F(StatusPage, FullHtmlEscapesTargets) {
    std::string html = body_of(handler.handle(get("full")));
    EXPECT_NE(html.find("<h2>Processes</h2>"), std::string::npos);
    EXPECT_NE(html.find("<td>/&lt;script&gt;</td>"), std::string::npos);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_NE(html.find("<td>10.1.2.3:4567</td>"), std::string::npos);
}

TEST_F(StatusPage, AnswersOnlyGetAndHead) {
    Request head = get();
    head.method = "HEAD";
    EXPECT_EQ(handler.handle(head).status, 200);
    Request post = get();
    post.method = "POST";
    Response response = handler.handle(post);
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD");
}

TEST(BuiltinRoutes, AddTheStatusPageAtItsExactPathOnly) {
    ipc::Scoreboard scoreboard{1};
    config::Config config;
    config.status_path = "/status";
    Router router;
    add_builtin_routes(router, config, &scoreboard);
    EXPECT_NE(router.find("/status"), nullptr);
    EXPECT_EQ(router.find("/status/x"), nullptr);
    EXPECT_EQ(router.find("/__forkd_test/crash"), nullptr);
}

TEST(BuiltinRoutes, AddNothingByDefault) {
    ipc::Scoreboard scoreboard{1};
    Router router;
    add_builtin_routes(router, config::Config{}, &scoreboard);
    EXPECT_TRUE(router.empty());
}

TEST(BuiltinRoutes, AddTheTestRoutesOnlyWhenAskedTo) {
    config::Config config;
    config.test_routes = true;
    Router router;
    add_builtin_routes(router, config, nullptr);
    EXPECT_NE(router.find("/__forkd_test/crash"), nullptr);
}

}  // namespace
}  // namespace forkd::handlers
