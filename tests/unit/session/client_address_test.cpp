#include "session/client_address.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace forkd::session {
namespace {

const TrustedProxies kTrusted({"10.0.0.0/8", "::1", "unix"});

Request request_with(std::initializer_list<std::pair<std::string, std::string>> fields) {
    Request request;
    for (const auto& [name, value] : fields)
        request.headers.add(name, value);
    return request;
}

Request named(const std::string& peer,
              std::initializer_list<std::pair<std::string, std::string>> fields) {
    Request request = request_with(fields);
    name_client(request, peer, kTrusted);
    return request;
}

TEST(ClientAddress, TakesNothingFromAPeerThatIsNotTrusted) {
    Request request = named("192.0.2.1:5000", {{"X-Forwarded-For", "203.0.113.9"},
                                               {"Forwarded", "for=203.0.113.8;proto=https"},
                                               {"X-Forwarded-Proto", "https"}});
    EXPECT_EQ(request.remote_addr, "192.0.2.1:5000");
    EXPECT_EQ(request.peer_addr, "192.0.2.1:5000");
    EXPECT_EQ(request.scheme, "http");
    // The headers themselves still reach the handler.
    EXPECT_EQ(request.header("X-Forwarded-For"), "203.0.113.9");
}

TEST(ClientAddress, TakesNothingWhenNoProxyIsTrusted) {
    Request request = request_with({{"X-Forwarded-For", "203.0.113.9"}});
    name_client(request, "127.0.0.1:5000", TrustedProxies());
    EXPECT_EQ(request.remote_addr, "127.0.0.1:5000");
}

TEST(ClientAddress, KeepsATrustedPeerThatNamesNobody) {
    Request request = named("10.1.2.3:5000", {});
    EXPECT_EQ(request.remote_addr, "10.1.2.3:5000");
    EXPECT_EQ(request.peer_addr, "10.1.2.3:5000");
}

TEST(ClientAddress, TakesTheClientATrustedProxyAppended) {
    Request request = named("10.1.2.3:5000", {{"X-Forwarded-For", "203.0.113.9"}});
    EXPECT_EQ(request.remote_addr, "203.0.113.9");
    EXPECT_EQ(request.peer_addr, "10.1.2.3:5000");
}

TEST(ClientAddress, TakesTheRightmostAddressThatIsNotTrusted) {
    // The client wrote "198.51.100.1" itself; the edge proxy appended the address it saw
    // (203.0.113.9), an inner proxy (10.0.0.5) the edge's.
    Request request =
        named("10.1.2.3:5000", {{"X-Forwarded-For", "198.51.100.1, 203.0.113.9, 10.0.0.5"}});
    EXPECT_EQ(request.remote_addr, "203.0.113.9");
}

TEST(ClientAddress, ReadsEveryXForwardedForFieldInOrder) {
    Request request = named("10.1.2.3:5000", {{"X-Forwarded-For", "198.51.100.1"},
                                              {"X-Forwarded-For", "203.0.113.9, 10.0.0.5"}});
    EXPECT_EQ(request.remote_addr, "203.0.113.9");
}

TEST(ClientAddress, TakesTheLeftmostWhenEveryHopIsTrusted) {
    Request request = named("10.1.2.3:5000", {{"X-Forwarded-For", "10.9.9.9, 10.0.0.5"}});
    EXPECT_EQ(request.remote_addr, "10.9.9.9");
}

TEST(ClientAddress, StopsAtAHopThatNamesNoAddress) {
    // The client's own garbage on the left cannot be reached past a real address...
    EXPECT_EQ(named("10.1.2.3:5000", {{"X-Forwarded-For", "nonsense, 203.0.113.9"}}).remote_addr,
              "203.0.113.9");
    // ...and a hop that names none leaves the last trusted address known.
    EXPECT_EQ(
        named("10.1.2.3:5000", {{"X-Forwarded-For", "203.0.113.9, unknown, 10.0.0.5"}}).remote_addr,
        "10.0.0.5");
    EXPECT_EQ(named("10.1.2.3:5000", {{"X-Forwarded-For", "203.0.113.9,,"}}).remote_addr,
              "10.1.2.3:5000");
}

TEST(ClientAddress, ReadsIpv6HopsWithAndWithoutBrackets) {
    EXPECT_EQ(named("[::1]:5000", {{"X-Forwarded-For", "2001:db8::9"}}).remote_addr,
              "[2001:db8::9]");
    EXPECT_EQ(named("[::1]:5000", {{"X-Forwarded-For", "[2001:db8::9]:4711"}}).remote_addr,
              "[2001:db8::9]:4711");
    EXPECT_EQ(named("unix", {{"X-Forwarded-For", "203.0.113.9:4711"}}).remote_addr,
              "203.0.113.9:4711");
}

TEST(ClientAddress, TrustsAnIpv4MappedPeerAsItsIpv4Address) {
    EXPECT_EQ(named("[::ffff:10.1.2.3]:5000", {{"X-Forwarded-For", "203.0.113.9"}}).remote_addr,
              "203.0.113.9");
}

TEST(ClientAddress, PrefersForwardedToXForwardedFor) {
    Request request = named(
        "10.1.2.3:5000", {{"X-Forwarded-For", "198.51.100.1"},
                          {"Forwarded", R"(for="[2001:db8::9]:4711";proto=https, for=10.0.0.5)"}});
    EXPECT_EQ(request.remote_addr, "[2001:db8::9]:4711");
    EXPECT_EQ(request.scheme, "https");
}

TEST(ClientAddress, TakesForwardedsProtoFromTheClientsHop) {
    Request request =
        named("10.1.2.3:5000", {{"Forwarded", "for=203.0.113.9;proto=http"},
                                {"Forwarded", "for=10.0.0.5;proto=HTTPS;by=10.0.0.6"}});
    EXPECT_EQ(request.remote_addr, "203.0.113.9");
    EXPECT_EQ(request.scheme, "http");
}

TEST(ClientAddress, TakesNothingFromAMalformedForwardedField) {
    for (std::string value : std::initializer_list<std::string>{
             "for=203.0.113.9;for=198.51.100.1", "for", "for=\"203.0.113.9", "for=a b", "=x"}) {
        Request request =
            named("10.1.2.3:5000", {{"Forwarded", value}, {"X-Forwarded-For", "1.2.3.4"}});
        EXPECT_EQ(request.remote_addr, "10.1.2.3:5000") << value;
        EXPECT_EQ(request.scheme, "http") << value;
    }
}

TEST(ClientAddress, SetsHttpsFromATrustedXForwardedProto) {
    EXPECT_EQ(named("10.1.2.3:5000", {{"X-Forwarded-Proto", "https"}}).scheme, "https");
    EXPECT_EQ(named("10.1.2.3:5000", {{"X-Forwarded-Proto", "HTTPS"}}).scheme, "https");
    // The last value is the one the nearest proxy set.
    EXPECT_EQ(named("10.1.2.3:5000", {{"X-Forwarded-Proto", "https, http"}}).scheme, "http");
    EXPECT_EQ(named("10.1.2.3:5000", {{"X-Forwarded-Proto", "ftp"}}).scheme, "http");
}

TEST(ClientAddress, RefusesAnInvalidEntry) {
    EXPECT_THROW(TrustedProxies({"10.0.0.300"}), std::invalid_argument);
}

}  // namespace
}  // namespace forkd::session
