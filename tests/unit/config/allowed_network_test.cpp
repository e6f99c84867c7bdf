// status_allow entries: checked when the configuration loads, matched by the status page.
#include "config/allowed_network.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "config/config_loader.hpp"

namespace forkd::config {
namespace {

TEST(StatusAllow, AcceptsAddressesBlocksAndUnix) {
    EXPECT_EQ(check_status_allow({"10.0.0.0/8", "::1", "[::1]", "unix"}), std::nullopt);
}

TEST(StatusAllow, NamesTheBadEntry) {
    for (std::string bad : {"10.0.0.300", "10.0.0.0/33", "::/129", "10.0.0.1/8", "host.example",
                            "10.0.0.0/", "10.0.0.0/x", ""}) {
        std::optional<std::string> problem = check_status_allow({"::1", bad});
        ASSERT_TRUE(problem.has_value()) << bad;
        EXPECT_NE(problem->find("'" + bad + "'"), std::string::npos) << *problem;
    }
}

TEST(StatusAllow, ABadEntryIsAConfigErrorNamingItsLine) {
    try {
        parse_config_text("mode = \"prefork\"\nstatus_allow = [\"10.0.0.300\"]\n", "forkd.toml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()).rfind("forkd.toml:2: status_allow: '10.0.0.300'", 0),
                  0u)
            << error.what();
    }
}

TEST(TrustedProxies, ABadEntryIsAConfigErrorNamingItsKeyAndLine) {
    try {
        parse_config_text("trusted_proxies = [\"10.0.0.0/8\", \"10.0.0.1/8\"]\n", "forkd.toml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()).rfind("forkd.toml:1: trusted_proxies: '10.0.0.1/8'", 0),
                  0u)
            << error.what();
    }
    Config config =
        parse_config_text("trusted_proxies = [\"10.0.0.0/8\", \"unix\"]\n", "forkd.toml");
    EXPECT_EQ(config.trusted_proxies.size(), 2U);
}

TEST(StatusAllow, MatchesIpv4ClientsOnADualStackListenerAsIpv4) {
    auto network = std::get<AllowedNetwork>(parse_allowed_network("10.0.0.0/8"));
    EXPECT_TRUE(contains(network, *client_address("[::ffff:10.1.2.3]:5000")));
    EXPECT_TRUE(contains(network, *client_address("10.1.2.3:5000")));
    EXPECT_FALSE(contains(network, *client_address("11.1.2.3:5000")));
    EXPECT_TRUE(is_loopback(*client_address("unix")));
    EXPECT_TRUE(is_loopback(*client_address("[::1]:80")));
}

TEST(HybridKeepAlive, DefaultsToSixtySecondsUnlessGiven) {
    EXPECT_EQ(parse_config_text("mode = \"hybrid\"\n", "a.toml").keepalive_timeout,
              std::chrono::seconds(60));
    EXPECT_EQ(parse_config_text("mode = \"hybrid\"\nkeepalive_timeout = \"2s\"\n", "a.toml")
                  .keepalive_timeout,
              std::chrono::seconds(2));
    EXPECT_NE(parse_config_text("mode = \"prefork\"\n", "a.toml").keepalive_timeout,
              std::chrono::seconds(60));
}

}  // namespace
}  // namespace forkd::config
