#include "http/forwarded.hpp"

#include <gtest/gtest.h>

namespace forkd::http {
namespace {

Headers with(std::string name, std::string value) {
    Headers headers;
    headers.add(std::move(name), std::move(value));
    return headers;
}

TEST(Forwarded, ReadsTheExamplesOfRfc7239) {
    auto hops = forwarded_hops(with("Forwarded", R"(for="_gazonk")"));
    ASSERT_TRUE(hops);
    ASSERT_EQ(hops->size(), 1U);
    EXPECT_EQ((*hops)[0].node, "_gazonk");

    hops = forwarded_hops(with("Forwarded", R"(For="[2001:db8:cafe::17]:4711")"));
    ASSERT_TRUE(hops);
    EXPECT_EQ((*hops)[0].node, "[2001:db8:cafe::17]:4711");

    hops = forwarded_hops(with("Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43"));
    ASSERT_TRUE(hops);
    EXPECT_EQ((*hops)[0].node, "192.0.2.60");
    EXPECT_EQ((*hops)[0].proto, "http");

    hops = forwarded_hops(with("Forwarded", "for=192.0.2.43, for=198.51.100.17"));
    ASSERT_TRUE(hops);
    ASSERT_EQ(hops->size(), 2U);
    EXPECT_EQ((*hops)[1].node, "198.51.100.17");
}

TEST(Forwarded, AcceptsEmptyElementsAndPairs) {
    auto hops = forwarded_hops(with("Forwarded", " , for=192.0.2.1;;proto=https ,"));
    ASSERT_TRUE(hops);
    ASSERT_EQ(hops->size(), 1U);
    EXPECT_EQ((*hops)[0].proto, "https");
}

TEST(Forwarded, RefusesWhatBreaksItsSyntax) {
    for (std::string value : std::initializer_list<std::string>{
             "for", "for=", "for=\"x", "for=a b", "for=1;for=2", "f(r=1", "for=\"\x01\"",
             "for=1 proto=http", "for=\"a\\"}) {
        EXPECT_FALSE(forwarded_hops(with("Forwarded", value))) << value;
    }
}

TEST(Forwarded, UnquotesQuotedPairs) {
    auto hops = forwarded_hops(with("Forwarded", R"(for="a\"b")"));
    ASSERT_TRUE(hops);
    EXPECT_EQ((*hops)[0].node, "a\"b");
}

TEST(XForwardedFor, SplitsEveryFieldOnCommas) {
    Headers headers;
    headers.add("X-Forwarded-For", "192.0.2.1 ,198.51.100.2");
    headers.add("x-forwarded-for", "203.0.113.3");
    auto hops = x_forwarded_for_hops(headers);
    ASSERT_EQ(hops.size(), 3U);
    EXPECT_EQ(hops[0].node, "192.0.2.1");
    EXPECT_EQ(hops[1].node, "198.51.100.2");
    EXPECT_EQ(hops[2].node, "203.0.113.3");
}

TEST(XForwardedProto, TakesTheLastValueLowerCased) {
    EXPECT_EQ(x_forwarded_proto(with("X-Forwarded-Proto", "http, HTTPS")), "https");
    EXPECT_EQ(x_forwarded_proto(Headers()), "");
}

TEST(HopAddress, WritesNodesAsRemoteAddresses) {
    EXPECT_EQ(hop_address("192.0.2.1"), "192.0.2.1");
    EXPECT_EQ(hop_address("192.0.2.1:8080"), "192.0.2.1:8080");
    EXPECT_EQ(hop_address("2001:db8::1"), "[2001:db8::1]");
    EXPECT_EQ(hop_address("[2001:db8::1]"), "[2001:db8::1]");
    EXPECT_EQ(hop_address("[2001:db8::1]:8080"), "[2001:db8::1]:8080");
}

TEST(HopAddress, RefusesNodesThatNameNoAddress) {
    for (std::string node : std::initializer_list<std::string>{
             "", "unknown", "_hidden", "example.com", "192.0.2.1:", "192.0.2.1:x",
             "192.0.2.1:65536", "[2001:db8::1", "[2001:db8::1]x", "[192.0.2.1]", "192.0.2.1 ",
             std::string("192.0.2.1\0", 10)}) {
        EXPECT_FALSE(hop_address(node)) << node;
    }
}

}  // namespace
}  // namespace forkd::http
