// The metrics page: what a Prometheus server reads of the scoreboard, and who may read it.
#include "handlers/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

namespace forkd::handlers {
namespace {

using std::chrono::microseconds;
using ::testing::HasSubstr;
using ::testing::Not;

StatusInfo info_allowing(std::vector<std::string> allow = {}) {
    StatusInfo info;
    info.mode = "hybrid";
    info.version = "0.1.0";
    info.allow = std::move(allow);
    return info;
}

Request get(std::string remote_addr = "127.0.0.1:5000", std::string method = "GET") {
    Request request;
    request.method = std::move(method);
    request.path = request.target = "/metrics";
    request.remote_addr = std::move(remote_addr);
    return request;
}

class MetricsPage : public ::testing::Test {
  protected:
    MetricsPage() {
        scoreboard.assign(0, 1000, 0, ipc::SlotRole::io);
        scoreboard.set_state(0, ipc::SlotState::reading);
        scoreboard.set_pss(0, 2048);
        scoreboard.assign(1, 1001, 0, ipc::SlotRole::worker);
        scoreboard.set_state(1, ipc::SlotState::idle);
        scoreboard.set_pss(1, 1000);
        scoreboard.assign(2, 1002, 0, ipc::SlotRole::worker);
        scoreboard.begin_request(2, "GET", "/slow", "127.0.0.1:1");
        ipc::ServerCounters& counters = scoreboard.header().counters;
        ipc::record_response(counters, api::RouteKind::inline_, 200, microseconds(500), 14);
        ipc::record_response(counters, api::RouteKind::inline_, 200, microseconds(3'000), 14);
        ipc::record_response(counters, api::RouteKind::none, 404, microseconds(100), 50);
        counters.exits[static_cast<std::size_t>(ipc::SlotRole::worker)]
                      [static_cast<std::size_t>(ipc::ExitCause::max_requests)] = 3;
        counters.reloads = 2;
        scoreboard.header().generation = 2;
        scoreboard.header().accepted = 9;
    }

    std::string page() { return render_metrics(scoreboard, info_allowing()); }

    ipc::Scoreboard scoreboard{4};
    std::shared_ptr<StatusHandler> gate =
        std::make_shared<StatusHandler>(scoreboard, info_allowing({"10.9.0.0/16"}));
    MetricsHandler handler{scoreboard, info_allowing(), gate};
};

TEST_F(MetricsPage, CountsResponsesByRouteKindAndStatusClass) {
    std::string text = page();
    EXPECT_THAT(text, HasSubstr("# TYPE forkd_http_requests_total counter\n"));
    EXPECT_THAT(text,
                HasSubstr("forkd_http_requests_total{kind=\"inline\",status_class=\"2xx\"} 2\n"));
    EXPECT_THAT(text,
                HasSubstr("forkd_http_requests_total{kind=\"none\",status_class=\"4xx\"} 1\n"));
    // Every series is there from the start, so that a rate() sees its first increase.
    EXPECT_THAT(text,
                HasSubstr("forkd_http_requests_total{kind=\"cgi\",status_class=\"5xx\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("forkd_http_response_body_bytes_total 78\n"));
}

TEST_F(MetricsPage, WritesHistogramBucketsCumulativelyWithSumAndCount) {
    std::string text = page();
    EXPECT_THAT(text, HasSubstr("# TYPE forkd_http_request_duration_seconds histogram\n"));
    EXPECT_THAT(
        text,
        HasSubstr("forkd_http_request_duration_seconds_bucket{kind=\"inline\",le=\"0.001\"} 1\n"
                  "forkd_http_request_duration_seconds_bucket{kind=\"inline\",le=\"0.0025\"} 1\n"
                  "forkd_http_request_duration_seconds_bucket{kind=\"inline\",le=\"0.005\"} 2\n"));
    EXPECT_THAT(
        text,
        HasSubstr("forkd_http_request_duration_seconds_bucket{kind=\"inline\",le=\"+Inf\"} 2\n"
                  "forkd_http_request_duration_seconds_sum{kind=\"inline\"} 0.0035\n"
                  "forkd_http_request_duration_seconds_count{kind=\"inline\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("forkd_queue_wait_seconds_bucket{le=\"+Inf\"} 0\n"));
}

TEST_F(MetricsPage, CountsProcessesByRoleAndStateAndTheirMemory) {
    std::string text = page();
    EXPECT_THAT(text, HasSubstr("forkd_processes{role=\"worker\",state=\"idle\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("forkd_processes{role=\"worker\",state=\"busy\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("forkd_processes{role=\"io\",state=\"reading\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("forkd_process_pss_bytes{role=\"io\"} 2097152\n"));
    EXPECT_THAT(text, HasSubstr("forkd_process_pss_bytes{role=\"worker\"} 1024000\n"));
    EXPECT_THAT(text,
                HasSubstr("forkd_process_exits_total{role=\"worker\",cause=\"max_requests\"} 3\n"));
}

TEST_F(MetricsPage, SaysTheReloadsAndTheGenerationInForce) {
    std::string text = page();
    EXPECT_THAT(text, HasSubstr("forkd_reloads_total{result=\"success\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("forkd_config_generation 2\n"));
    EXPECT_THAT(text, HasSubstr("forkd_connections_accepted_total 9\n"));
    EXPECT_THAT(text, HasSubstr("forkd_build_info{version=\"0.1.0\",mode=\"hybrid\"} 1\n"));
}

TEST_F(MetricsPage, NamesNoPathAndNoAddress) {
    std::string text = page();
    EXPECT_THAT(text, Not(HasSubstr("/slow")));
    EXPECT_THAT(text, Not(HasSubstr("127.0.0.1")));
}

TEST_F(MetricsPage, EveryFamilyHasHelpAndTypeAndEveryLineEnds) {
    std::string text = page();
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    std::size_t helps = 0, types = 0;
    for (std::size_t at = 0; (at = text.find("# HELP ", at)) != std::string::npos; ++at)
        ++helps;
    for (std::size_t at = 0; (at = text.find("# TYPE ", at)) != std::string::npos; ++at)
        ++types;
    EXPECT_EQ(helps, types);
    EXPECT_GT(helps, 20u);
}

TEST_F(MetricsPage, AnswersLocalClientsInTheExpositionFormat) {
    Response response = handler.handle(get());
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_THAT(std::get<std::string>(response.body), HasSubstr("forkd_http_requests_total"));
}

TEST_F(MetricsPage, FollowsStatusAllowAsTheStatusPageDoes) {
    EXPECT_EQ(handler.handle(get("10.1.0.1:4000")).status, 403);
    EXPECT_EQ(handler.handle(get("10.9.3.4:4000")).status, 200);
    Request proxied = get();
    proxied.headers.set("X-Forwarded-For", "203.0.113.9");
    EXPECT_EQ(handler.handle(proxied).status, 403);
}

TEST_F(MetricsPage, AnswersGetAndHeadOnly) {
    Response response = handler.handle(get("127.0.0.1:5000", "POST"));
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace forkd::handlers
