#include "api/peer_address.hpp"

#include <gtest/gtest.h>

namespace forkd::api {
namespace {

void expect_split(std::string_view remote_addr, std::string_view host, std::string_view port) {
    PeerAddress split = split_peer(remote_addr);
    EXPECT_EQ(split.host, host) << remote_addr;
    EXPECT_EQ(split.port, port) << remote_addr;
}

TEST(PeerAddress, SplitsHostAndPort) {
    expect_split("127.0.0.1:51234", "127.0.0.1", "51234");
    expect_split("[::1]:40000", "::1", "40000");
}

TEST(PeerAddress, TakesAddressesWithoutAPortAsHosts) {
    expect_split("unix", "unix", "");
    expect_split("192.0.2.1", "192.0.2.1", "");
    expect_split("[2001:db8::1]", "2001:db8::1", "");
}

}  // namespace
}  // namespace forkd::api
