// Durations, sizes and listen addresses: the text forms shared by the file and the flags.
#include "config/value_syntax.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "config/config_loader.hpp"

namespace forkd::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(Duration, ReadsEveryUnit) {
    EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
    EXPECT_EQ(parse_duration("5s"), seconds(5));
    EXPECT_EQ(parse_duration("2m"), minutes(2));
    EXPECT_EQ(parse_duration("1h"), hours(1));
}

TEST(Duration, ReadsABareNumberAsSeconds) {
    EXPECT_EQ(parse_duration("10"), seconds(10));
    EXPECT_EQ(parse_duration("0"), milliseconds(0));
}

TEST(Duration, RejectsEmptyNegativeSignedSpacedAndUnknownUnits) {
    for (const char* text : {"", "-5s", "+5s", " 5s", "5 s", "5s ", "5x", "5sec", "ms", "s",
                             "1m30s", "1.5s", "5S", "0x10"}) {
        EXPECT_EQ(parse_duration(text), std::nullopt) << text;
    }
}

TEST(Duration, RejectsValuesThatOverflow) {
    EXPECT_EQ(parse_duration("99999999999999999999"), std::nullopt);
    EXPECT_EQ(parse_duration("9223372036854775807s"), std::nullopt);
    EXPECT_EQ(parse_duration("9223372036854775807ms"), milliseconds(9223372036854775807));
}

TEST(Size, ReadsUnitsInEitherCase) {
    EXPECT_EQ(parse_size("512"), 512U);
    EXPECT_EQ(parse_size("8k"), 8U * 1024);
    EXPECT_EQ(parse_size("8K"), 8U * 1024);
    EXPECT_EQ(parse_size("1m"), 1024U * 1024);
    EXPECT_EQ(parse_size("1M"), 1024U * 1024);
    EXPECT_EQ(parse_size("1g"), 1024U * 1024 * 1024);
    EXPECT_EQ(parse_size("1G"), 1024U * 1024 * 1024);
}

TEST(Size, RejectsEmptyNegativeAndTrailingGarbage) {
    for (const char* text : {"", "-1", "+1", "k", "8kb", "8 k", "8k ", "1t", "1.5m", " 8"}) {
        EXPECT_EQ(parse_size(text), std::nullopt) << text;
    }
}

TEST(Size, RejectsValuesThatOverflow) {
    EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
    EXPECT_EQ(parse_size("17179869184g"), std::nullopt);
    EXPECT_EQ(parse_size("18446744073709551615"), std::numeric_limits<std::size_t>::max());
}

TEST(ValueFormat, PrintsTheShortestExactForm) {
    EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
    EXPECT_EQ(format_duration(seconds(10)), "10s");
    EXPECT_EQ(format_duration(seconds(90)), "90s");
    EXPECT_EQ(format_duration(minutes(2)), "2m");
    EXPECT_EQ(format_duration(hours(1)), "1h");
    EXPECT_EQ(format_duration(milliseconds(0)), "0s");
    EXPECT_EQ(format_size(8 * 1024), "8k");
    EXPECT_EQ(format_size(1024 * 1024), "1m");
    EXPECT_EQ(format_size(1000), "1000");
}

TEST(Switch, AcceptsOnOffTrueFalseOnly) {
    EXPECT_EQ(parse_switch("on"), true);
    EXPECT_EQ(parse_switch("true"), true);
    EXPECT_EQ(parse_switch("off"), false);
    EXPECT_EQ(parse_switch("false"), false);
    EXPECT_EQ(parse_switch("yes"), std::nullopt);
    EXPECT_EQ(parse_switch(""), std::nullopt);
}

TEST(ListenAddress, ReadsIpv4HostAndPort) {
    const ListenAddress address = parse_listen_address("127.0.0.1:9933");
    EXPECT_EQ(address.kind, ListenAddress::Kind::tcp);
    EXPECT_EQ(address.host, "127.0.0.1");
    EXPECT_EQ(address.port, 9933);
    EXPECT_EQ(address.text, "127.0.0.1:9933");
}

TEST(ListenAddress, ReadsStarAsAnyAddressAndLocalhostAsLoopback) {
    EXPECT_EQ(parse_listen_address("*:80").host, "0.0.0.0");
    EXPECT_EQ(parse_listen_address("localhost:80").host, "127.0.0.1");
}

TEST(ListenAddress, ReadsBracketedIpv6WithoutTheBrackets) {
    const ListenAddress address = parse_listen_address("[::1]:8080");
    EXPECT_EQ(address.kind, ListenAddress::Kind::tcp);
    EXPECT_EQ(address.host, "::1");
    EXPECT_EQ(address.port, 8080);
    EXPECT_EQ(parse_listen_address("[::]:0").host, "::");
}

TEST(ListenAddress, AcceptsPortZeroAndPort65535) {
    EXPECT_EQ(parse_listen_address("127.0.0.1:0").port, 0);
    EXPECT_EQ(parse_listen_address("127.0.0.1:65535").port, 65535);
}

TEST(ListenAddress, ReadsAnAbsoluteUnixSocketPath) {
    const ListenAddress address = parse_listen_address("unix:/run/forkd.sock");
    EXPECT_EQ(address.kind, ListenAddress::Kind::unix_socket);
    EXPECT_EQ(address.path, "/run/forkd.sock");
}

TEST(ListenAddress, RejectsMalformedEntriesNamingThem) {
    for (const char* text :
         {"", "9933", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
          ":80", "example.com:80", "256.0.0.1:80", "::1:80", "[::1]", "[nonsense]:80",
          "[127.0.0.1]:80", "unix:", "unix:relative.sock", " 127.0.0.1:80"}) {
        try {
            parse_listen_address(text);
            ADD_FAILURE() << "accepted \"" << text << "\"";
        } catch (const ConfigError& error) {
            EXPECT_NE(std::string(error.what()).find("\"" + std::string(text) + "\""),
                      std::string::npos)
                << error.what();
        }
    }
}

TEST(ListenAddress, ReadsTheProxyProtocolOption) {
    EXPECT_FALSE(parse_listen_address("127.0.0.1:8080").proxy_protocol);
    const ListenAddress address = parse_listen_address("127.0.0.1:8080 proxy_protocol");
    EXPECT_TRUE(address.proxy_protocol);
    EXPECT_EQ(address.port, 8080);
    EXPECT_EQ(address.text, "127.0.0.1:8080");
    EXPECT_TRUE(parse_listen_address("unix:/run/forkd.sock  proxy_protocol").proxy_protocol);
    EXPECT_TRUE(parse_listen_address("[::1]:80 proxy_protocol ").proxy_protocol);
}

TEST(ListenAddress, RejectsAnUnknownOptionNamingIt) {
    try {
        parse_listen_address("127.0.0.1:8080 proxy-protocol");
        ADD_FAILURE() << "accepted an unknown option";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("unknown option \"proxy-protocol\""),
                  std::string::npos)
            << error.what();
    }
}

TEST(ListenAddress, RejectsAUnixPathTooLongForSockaddr) {
    const std::string path = "unix:/" + std::string(200, 'a');
    EXPECT_THROW(parse_listen_address(path), ConfigError);
}

TEST(ModeName, NamesEveryMode) {
    EXPECT_EQ(to_string(Mode::single), "single");
    EXPECT_EQ(to_string(Mode::fork), "fork");
    EXPECT_EQ(to_string(Mode::prefork), "prefork");
}

}  // namespace
}  // namespace forkd::config
