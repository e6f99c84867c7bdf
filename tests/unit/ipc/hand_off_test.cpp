// The hand-off messages: what an io worker encodes, an app worker must decode unchanged.
#include "ipc/hand_off.hpp"

#include <gtest/gtest.h>

namespace forkd::ipc {
namespace {

HandOff sample_hand_off() {
    HandOff hand_off;
    hand_off.worker_pid = 4242;
    hand_off.io_pid = 4100;
    hand_off.sequence = 9001;
    hand_off.connection = 77;
    hand_off.link_attached = true;
    hand_off.keep_alive_allowed = false;
    hand_off.request.method = "POST";
    hand_off.request.target = "/upload?name=a%20b";
    hand_off.request.path = "/upload";
    hand_off.request.query = "name=a%20b";
    hand_off.request.version = 10;
    hand_off.request.remote_addr = "203.0.113.9";
    hand_off.request.peer_addr = "[::1]:40000";
    hand_off.request.scheme = "https";
    hand_off.request.request_id = "3f9c0a7d51e2b846000002a1";
    hand_off.request.headers.add("Host", "example");
    hand_off.request.headers.add("X-Empty", "");
    hand_off.request.body = std::string("binary\0body", 11);
    return hand_off;
}

TEST(HandOff, SurvivesEncodingAndDecodingFieldForField) {
    HandOff sent = sample_hand_off();
    std::optional<HandOff> received = decode_hand_off(encode(sent));
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(received->worker_pid, 4242);
    EXPECT_EQ(received->io_pid, 4100);
    EXPECT_EQ(received->sequence, 9001U);
    EXPECT_EQ(received->connection, 77U);
    EXPECT_TRUE(received->link_attached);
    EXPECT_FALSE(received->keep_alive_allowed);
    EXPECT_FALSE(received->body_in_file);
    const Request& request = received->request;
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/upload?name=a%20b");
    EXPECT_EQ(request.path, "/upload");
    EXPECT_EQ(request.query, "name=a%20b");
    EXPECT_EQ(request.version, 10);
    EXPECT_EQ(request.remote_addr, "203.0.113.9");
    EXPECT_EQ(request.peer_addr, "[::1]:40000");
    EXPECT_EQ(request.scheme, "https");
    EXPECT_EQ(request.request_id, "3f9c0a7d51e2b846000002a1");
    EXPECT_EQ(request.headers.get("host"), "example");
    EXPECT_EQ(request.headers.get("X-Empty"), "");
    EXPECT_EQ(request.body.text(), std::string("binary\0body", 11));
}

// An app worker decodes every hand-off into the one it keeps: nothing of the last request
// (its fields, body, route, flags) may show in the next.
TEST(HandOff, DecodedIntoAKeptOneLeavesNothingOfTheLast) {
    HandOff kept;
    ASSERT_TRUE(decode_hand_off(encode(sample_hand_off()), kept));
    kept.request.route = "/upload";
    kept.request.params.emplace_back("name", "a");
    HandOff next;
    next.worker_pid = 4243;
    next.request.method = "GET";
    next.request.target = "/";
    next.request.path = "/";
    next.request.headers.add("Host", "other");
    ASSERT_TRUE(decode_hand_off(encode(next), kept));
    EXPECT_EQ(kept.worker_pid, 4243);
    EXPECT_EQ(kept.sequence, 0U);
    EXPECT_FALSE(kept.link_attached);
    EXPECT_TRUE(kept.keep_alive_allowed);
    const Request& request = kept.request;
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.query, "");
    EXPECT_EQ(request.version, 11);
    EXPECT_EQ(request.scheme, "http");
    EXPECT_EQ(request.request_id, "");
    ASSERT_EQ(request.headers.size(), 1U);
    EXPECT_EQ(request.headers.get("Host"), "other");
    EXPECT_EQ(request.body.size(), 0U);
    EXPECT_EQ(request.route, "");
    EXPECT_TRUE(request.params.empty());
}

TEST(HandOff, LeavesTheBodyOutWhenItTravelsInAFile) {
    HandOff sent = sample_hand_off();
    sent.body_in_file = true;
    std::optional<HandOff> received = decode_hand_off(encode(sent));
    ASSERT_TRUE(received.has_value());
    EXPECT_TRUE(received->body_in_file);
    EXPECT_TRUE(received->request.body.empty());
}

TEST(HandOff, RefusesATruncatedOrPaddedMessage) {
    std::string bytes = encode(sample_hand_off());
    for (std::size_t cut : {std::size_t{0}, std::size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
        EXPECT_FALSE(decode_hand_off(std::string_view(bytes).substr(0, cut)).has_value()) << cut;
    }
    EXPECT_FALSE(decode_hand_off(bytes + "x").has_value());
}

TEST(Completion, SurvivesEncodingAndDecoding) {
    Completion sent{31337, 404, 1234, true, false};
    std::optional<Completion> received = decode_completion(encode(sent));
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(received->sequence, 31337U);
    EXPECT_EQ(received->status, 404);
    EXPECT_EQ(received->body_bytes, 1234U);
    EXPECT_TRUE(received->complete);
    EXPECT_FALSE(received->keep_alive);
}

TEST(Completion, RefusesATruncatedMessage) {
    std::string bytes = encode(Completion{1, 200, 5, true, true});
    EXPECT_FALSE(decode_completion(std::string_view(bytes).substr(0, bytes.size() - 1)));
    EXPECT_FALSE(decode_completion(std::string_view(bytes).substr(0, 1)));
}

TEST(IdleConnection, SurvivesEncodingAndDecodingWithinItsLargestSize) {
    std::string bytes = encode(IdleConnection{17, "[2001:db8::1]:65535"});
    EXPECT_LE(bytes.size(), kMaxIdleConnectionMessage);
    std::optional<IdleConnection> received = decode_idle_connection(bytes);
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(received->served, 17U);
    EXPECT_EQ(received->peer, "[2001:db8::1]:65535");
    EXPECT_FALSE(decode_idle_connection(std::string_view(bytes).substr(0, 3)).has_value());
    EXPECT_LE(encode(IdleConnection{1, std::string(4096, 'p')}).size(), kMaxIdleConnectionMessage);
}

}  // namespace
}  // namespace forkd::ipc
