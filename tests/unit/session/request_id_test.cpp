#include "session/request_id.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace forkd::session {
namespace {

bool is_hex(const std::string& text) {
    return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RequestId, IsHexAndNeverRepeatsInAProcess) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string id = next_request_id();
        EXPECT_EQ(id.size(), 24U) << id;
        EXPECT_TRUE(is_hex(id)) << id;
        EXPECT_TRUE(seen.insert(id).second) << id;
    }
}

TEST(RequestId, KeepsTheProcessPrefixAndCountsAfterIt) {
    std::string first = next_request_id();
    std::string second = next_request_id();
    EXPECT_EQ(first.substr(0, 16), second.substr(0, 16));
    EXPECT_EQ(std::stoull(second.substr(16), nullptr, 16),
              std::stoull(first.substr(16), nullptr, 16) + 1);
}

// Ids are counted up digit by digit: every carry (0x...f to 0x...10, up to 0xffff to
// 0x10000) gives the next number.
TEST(RequestId, CountsUpThroughEveryCarry) {
    start_request_ids(0x0123456789abcdefULL);  // any part; the counter from zero
    std::string previous = next_request_id();
    for (int i = 0; i < 70000; ++i) {
        std::string id = next_request_id();
        ASSERT_EQ(id.size(), 24U) << id;
        ASSERT_EQ(id.substr(0, 16), previous.substr(0, 16));
        ASSERT_EQ(std::stoull(id.substr(16), nullptr, 16),
                  std::stoull(previous.substr(16), nullptr, 16) + 1)
            << previous << " then " << id;
        previous = id;
    }
}

// What a forked child does first: its ids must repeat neither its parent's nor any other
// child's of that parent.
TEST(RequestId, EachChildOfAParentGetsAPartOfItsOwn) {
    std::string parent = next_request_id().substr(0, 16);
    std::set<std::string> parts{parent};
    for (std::uint64_t serial = 0; serial < 10000; ++serial) {
        std::string part = fmt::format("{:016x}", child_request_id_part(serial));
        ASSERT_TRUE(parts.insert(part).second) << "child " << serial << " repeats " << part;
    }
    std::uint64_t part = child_request_id_part(10000);
    start_request_ids(part);  // as in the new child
    std::string first = next_request_id();
    EXPECT_EQ(first, fmt::format("{:016x}00000001", part));
}

TEST(RequestId, IsGivenToTheRequest) {
    Request request;
    assign_request_id(request);
    EXPECT_EQ(request.request_id.size(), 24U);
}

TEST(RequestId, ATrustedProxysXRequestIdIsAdoptedAndNobodyElses) {
    TrustedProxies trusted({"10.0.0.0/8"});
    Request request;
    request.headers.add("X-Request-Id", "lb-7f3a:0001");
    request.peer_addr = "10.1.2.3:5000";
    assign_request_id(request, trusted);
    EXPECT_EQ(request.request_id, "lb-7f3a:0001");

    request.peer_addr = "192.0.2.7:5000";  // a client, not the balancer
    assign_request_id(request, trusted);
    EXPECT_EQ(request.request_id.size(), 24U);

    Request broken;  // from the balancer, but nothing a log line should carry
    broken.peer_addr = "10.1.2.3:5000";
    broken.headers.add("X-Request-Id", "a b\"c");
    assign_request_id(broken, trusted);
    EXPECT_EQ(broken.request_id.size(), 24U);
}

}  // namespace
}  // namespace forkd::session
