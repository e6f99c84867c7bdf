#include "http/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace forkd::http {
namespace {

using namespace std::string_literals;

const std::string kSignature = "\r\n\r\n\0\r\nQUIT\n"s;

// Every proper prefix of a complete header asks for more bytes; the header with anything
// after it reads the same, and says where the HTTP bytes begin.
ProxyHeader parse_at_every_split(const std::string& header) {
    for (std::size_t cut = 0; cut < header.size(); ++cut) {
        ProxyHeader part = parse_proxy_header(std::string_view(header).substr(0, cut));
        EXPECT_EQ(part.progress, ProxyProgress::need_more) << "cut at " << cut;
    }
    ProxyHeader whole = parse_proxy_header(header);
    ProxyHeader followed = parse_proxy_header(header + "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(whole.progress, followed.progress);
    EXPECT_EQ(whole.length, followed.length);
    EXPECT_EQ(whole.source, followed.source);
    return whole;
}

// A header that must be refused: never complete at any prefix, refused whole.
void expect_refused(const std::string& bytes) {
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        ProxyHeader part = parse_proxy_header(std::string_view(bytes).substr(0, cut));
        EXPECT_NE(part.progress, ProxyProgress::complete) << "cut at " << cut;
    }
    ProxyHeader whole = parse_proxy_header(bytes);
    EXPECT_EQ(whole.progress, ProxyProgress::error) << testing::PrintToString(bytes);
    EXPECT_FALSE(whole.error.empty());
    EXPECT_FALSE(whole.source);
}

std::string v2(unsigned char version_command, unsigned char family, const std::string& block) {
    std::string header = kSignature;
    header += static_cast<char>(version_command);
    header += static_cast<char>(family);
    header += static_cast<char>(block.size() >> 8);
    header += static_cast<char>(block.size() & 0xFF);
    return header + block;
}

// An INET address block padded to `size` bytes with one PP2_TYPE_NOOP TLV.
std::string inet_block_of(std::size_t size) {
    std::size_t padding = size - 12 - 3;
    std::string block(12, '\x01');
    block += '\x04';
    block += static_cast<char>(padding >> 8);
    block += static_cast<char>(padding & 0xFF);
    return block + std::string(padding, '\0');
}

TEST(ProxyProtocol, ReadsAVersion1Tcp4Header) {
    std::string header = "PROXY TCP4 192.0.2.7 198.51.100.1 51234 8080\r\n";
    ProxyHeader read = parse_at_every_split(header);
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.version, 1);
    EXPECT_EQ(read.length, header.size());
    EXPECT_EQ(read.source, "192.0.2.7:51234");
}

TEST(ProxyProtocol, ReadsAVersion1Tcp6HeaderInBrackets) {
    ProxyHeader read = parse_at_every_split("PROXY TCP6 2001:db8::7 2001:db8::1 443 8080\r\n");
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.source, "[2001:db8::7]:443");
}

TEST(ProxyProtocol, KeepsThePeerForVersion1Unknown) {
    for (std::string header : std::initializer_list<std::string>{
             "PROXY UNKNOWN\r\n", "PROXY UNKNOWN ff:: whatever 1 2\r\n"}) {
        ProxyHeader read = parse_at_every_split(header);
        ASSERT_EQ(read.progress, ProxyProgress::complete) << header;
        EXPECT_EQ(read.length, header.size());
        EXPECT_FALSE(read.source);
    }
}

TEST(ProxyProtocol, ReadsTheLongestVersion1Headers) {
    std::string addresses =
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 "
        "65535\r\n";
    ProxyHeader read = parse_at_every_split("PROXY TCP6 " + addresses);
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.source, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    // The specification's worst case: UNKNOWN followed by the longest addresses.
    std::string unknown = "PROXY UNKNOWN " + addresses;
    ASSERT_EQ(unknown.size(), kProxyV1MaxLength);
    read = parse_at_every_split(unknown);
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_FALSE(read.source);
}

TEST(ProxyProtocol, RefusesMalformedVersion1Headers) {
    for (std::string bytes : std::initializer_list<std::string>{
             "GET / HTTP/1.1\r\n\r\n"s,                              // no header at all
             "PROXY TCP4 192.0.2.7 198.51.100.1 51234 8080\n"s,      // LF alone
             "PROXY TCP4 192.0.2.7 198.51.100.1 51234 8080\rX"s,     // CR alone
             "PROXY TCP5 192.0.2.7 198.51.100.1 51234 8080\r\n"s,    // protocol
             "proxy TCP4 192.0.2.7 198.51.100.1 51234 8080\r\n"s,    // case
             "PROXY  TCP4 192.0.2.7 198.51.100.1 51234 8080\r\n"s,   // two spaces
             "PROXY TCP4 192.0.2.7 198.51.100.1 51234\r\n"s,         // a field missing
             "PROXY TCP4 192.0.2.7 198.51.100.1 51234 8080 9\r\n"s,  // one too many
             "PROXY TCP4 2001:db8::7 198.51.100.1 51234 8080\r\n"s,  // family
             "PROXY TCP6 192.0.2.7 2001:db8::1 51234 8080\r\n"s,     // family
             "PROXY TCP4 192.0.2.300 198.51.100.1 51234 8080\r\n"s,  // octet
             "PROXY TCP4 192.0.2.07 198.51.100.1 51234 8080\r\n"s,   // leading zero
             "PROXY TCP4 192.0.2.7 198.51.100.1 65536 8080\r\n"s,    // port
             "PROXY TCP4 192.0.2.7 198.51.100.1 051234 8080\r\n"s,   // leading zero
             "PROXY TCP4 192.0.2.7 198.51.100.1 -1 8080\r\n"s,       // sign
             "PROXY TCP4 192.0.2.7 198.51.100.1 +1 8080\r\n"s,       // sign
             "PROXY TCP4 192.0.2.7\0 198.51.100.1 1 8080\r\n"s,      // NUL
             "PROXY TCP4 192.0.2.7 198.51.100.1  8080\r\n"s,         // empty port
             "PROXY \r\n"s,
         }) {
        expect_refused(bytes);
    }
}

TEST(ProxyProtocol, RefusesAVersion1LineWithoutCrlfWithin107Bytes) {
    std::string long_line = "PROXY UNKNOWN " + std::string(100, 'x');
    ASSERT_GE(long_line.size(), kProxyV1MaxLength);
    EXPECT_EQ(parse_proxy_header(long_line).progress, ProxyProgress::error);
    EXPECT_EQ(parse_proxy_header(long_line.substr(0, 106)).progress, ProxyProgress::need_more);
    // The CR as the 107th byte leaves no room for its LF.
    EXPECT_EQ(parse_proxy_header(long_line.substr(0, 106) + "\r\n").progress, ProxyProgress::error);
}

TEST(ProxyProtocol, ReadsAVersion2Tcp4Header) {
    std::string header = proxy_v2_header("192.0.2.7", 51234, "198.51.100.1", 8080);
    ProxyHeader read = parse_at_every_split(header);
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.version, 2);
    EXPECT_EQ(read.length, 16U + 12U);
    EXPECT_EQ(read.source, "192.0.2.7:51234");
}

TEST(ProxyProtocol, ReadsAVersion2Tcp6Header) {
    ProxyHeader read =
        parse_at_every_split(proxy_v2_header("2001:db8::7", 443, "2001:db8::1", 8080));
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.length, 16U + 36U);
    EXPECT_EQ(read.source, "[2001:db8::7]:443");
}

TEST(ProxyProtocol, SkipsVersion2Tlvs) {
    // PP2_TYPE_ALPN "h2", PP2_TYPE_UNIQUE_ID empty, PP2_TYPE_NOOP with padding.
    std::string tlvs = "\x01\x00\x02h2"s + "\x05\x00\x00"s + "\x04\x00\x03\0\0\0"s;
    std::string header = proxy_v2_header("192.0.2.7", 1, "198.51.100.1", 2, tlvs);
    ProxyHeader read = parse_at_every_split(header);
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.length, header.size());
    EXPECT_EQ(read.source, "192.0.2.7:1");
}

TEST(ProxyProtocol, RefusesAVersion2TlvThatRunsPastTheHeader) {
    expect_refused(proxy_v2_header("192.0.2.7", 1, "198.51.100.1", 2, "\x01\x00\x05h2"s));
    expect_refused(proxy_v2_header("192.0.2.7", 1, "198.51.100.1", 2, "\x01\x00"s));
}

TEST(ProxyProtocol, AcceptsTheLocalCommandOfHealthChecks) {
    ProxyHeader read = parse_at_every_split(proxy_v2_local_header());
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.length, 16U);
    EXPECT_FALSE(read.source);
    // Whatever block LOCAL carries is discarded, family included.
    std::string with_block = v2(0x20, 0x11, std::string(12, '\x7f'));
    read = parse_at_every_split(with_block);
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.length, 28U);
    EXPECT_FALSE(read.source);
}

TEST(ProxyProtocol, KeepsThePeerForAVersion2UnspecifiedFamily) {
    ProxyHeader read = parse_at_every_split(v2(0x21, 0x00, ""));
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_FALSE(read.source);
}

TEST(ProxyProtocol, NamesAUnixClientOfTheProxy) {
    ProxyHeader read = parse_at_every_split(v2(0x21, 0x31, std::string(216, '\0')));
    ASSERT_EQ(read.progress, ProxyProgress::complete);
    EXPECT_EQ(read.source, "unix");
}

TEST(ProxyProtocol, RefusesMalformedVersion2Headers) {
    std::string inet(12, '\x01');
    for (std::string bytes : std::initializer_list<std::string>{
             v2(0x11, 0x11, inet),                            // version 1 in a v2 header
             v2(0x31, 0x11, inet),                            // version 3
             v2(0x22, 0x11, inet),                            // command 2
             v2(0x21, 0x12, inet),                            // datagrams
             v2(0x21, 0x13, inet),                            // transport 3
             v2(0x21, 0x41, inet),                            // family 4
             v2(0x21, 0x01, ""),                              // transport without family
             v2(0x21, 0x11, std::string(11, 'a')),            // short INET block
             v2(0x21, 0x21, inet),                            // short INET6 block
             v2(0x21, 0x31, inet),                            // short UNIX block
             "\r\n\r\n\0\r\nQUIX\n\x21\x11\x00\x0c"s + inet,  // signature
         }) {
        expect_refused(bytes);
    }
}

TEST(ProxyProtocol, WaitsForAVersion2HeaderOfTheLongestLength) {
    std::string header = v2(0x21, 0x11, inet_block_of(65535));
    ASSERT_EQ(header.size(), kProxyV2MaxLength);
    EXPECT_EQ(parse_proxy_header(header.substr(0, header.size() - 1)).progress,
              ProxyProgress::need_more);
    EXPECT_EQ(parse_proxy_header(header).progress, ProxyProgress::complete);
}

TEST(ProxyProtocol, RoundTripsItsOwnHeaders) {
    EXPECT_EQ(parse_proxy_header(proxy_v1_header("203.0.113.9", 0, "127.0.0.1", 80)).source,
              "203.0.113.9:0");
    EXPECT_EQ(parse_proxy_header(proxy_v1_header("::1", 65535, "::1", 80)).source, "[::1]:65535");
    EXPECT_EQ(parse_proxy_header(proxy_v2_header("::ffff:192.0.2.1", 7, "::1", 80)).source,
              "[::ffff:192.0.2.1]:7");
}

}  // namespace
}  // namespace forkd::http
