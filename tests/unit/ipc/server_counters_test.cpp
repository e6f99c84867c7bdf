// The counters every process adds to: one response lands in one status class, one duration
// bucket and the sums.
#include "ipc/server_counters.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace forkd::ipc {
namespace {

using std::chrono::microseconds;

uint64_t load(const std::atomic<uint64_t>& value) {
    return value.load();
}

TEST(RecordResponse, CountsTheStatusClassOfTheRouteKind) {
    auto counters = std::make_unique<ServerCounters>();
    record_response(*counters, api::RouteKind::inline_, 200, microseconds(10), 14);
    record_response(*counters, api::RouteKind::inline_, 204, microseconds(10), 0);
    record_response(*counters, api::RouteKind::none, 404, microseconds(10), 100);
    record_response(*counters, api::RouteKind::blocking, 503, microseconds(10), 0);

    auto inline_kind = static_cast<std::size_t>(api::RouteKind::inline_);
    auto none = static_cast<std::size_t>(api::RouteKind::none);
    auto blocking = static_cast<std::size_t>(api::RouteKind::blocking);
    EXPECT_EQ(load(counters->responses[inline_kind][1]), 2u);
    EXPECT_EQ(load(counters->responses[none][3]), 1u);
    EXPECT_EQ(load(counters->responses[blocking][4]), 1u);
    EXPECT_EQ(load(counters->body_bytes), 114u);
}

TEST(RecordResponse, PutsADurationInTheFirstBucketWhoseBoundItDoesNotExceed) {
    auto counters = std::make_unique<ServerCounters>();
    auto kind = static_cast<std::size_t>(api::RouteKind::blocking);
    record_response(*counters, api::RouteKind::blocking, 200, microseconds(1'000), 0);  // le 1 ms
    record_response(*counters, api::RouteKind::blocking, 200, microseconds(1'001), 0);  // le 2.5 ms
    record_response(*counters, api::RouteKind::blocking, 200, microseconds(60'000'000), 0);

    EXPECT_EQ(load(counters->duration_buckets[kind][0]), 1u);
    EXPECT_EQ(load(counters->duration_buckets[kind][1]), 1u);
    EXPECT_EQ(load(counters->duration_buckets[kind][kDurationBuckets - 1]), 1u);
    EXPECT_EQ(load(counters->duration_us[kind]), 60'002'001u);
}

TEST(RecordResponse, TakesAStatusOutsideTheClassesAsTheNearestClass) {
    auto counters = std::make_unique<ServerCounters>();
    record_response(*counters, api::RouteKind::none, 0, microseconds(-5), 0);
    record_response(*counters, api::RouteKind::none, 999, microseconds(0), 0);
    EXPECT_EQ(load(counters->responses[0][0]), 1u);
    EXPECT_EQ(load(counters->responses[0][4]), 1u);
    EXPECT_EQ(load(counters->duration_us[0]), 0u);
}

}  // namespace
}  // namespace forkd::ipc
