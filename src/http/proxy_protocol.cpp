#include "http/proxy_protocol.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace forkd::http {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t kV2FixedLength = 16;
// v2's address block per family: two addresses and two ports.
constexpr std::size_t kV2Inet = 12;
constexpr std::size_t kV2Inet6 = 36;
constexpr std::size_t kV2Unix = 216;

ProxyHeader need_more(int version) {
    ProxyHeader header;
    header.version = version;
    return header;
}

ProxyHeader refuse(int version, std::string why) {
    ProxyHeader header;
    header.progress = ProxyProgress::error;
    header.version = version;
    header.error = std::move(why);
    return header;
}

ProxyHeader accept(int version, std::size_t length, std::optional<std::string> source) {
    ProxyHeader header;
    header.progress = ProxyProgress::complete;
    header.version = version;
    header.length = length;
    header.source = std::move(source);
    return header;
}

// "192.0.2.1:80" or "[2001:db8::1]:80", from the address in network order.
std::string address_text(int family, const void* address, uint16_t port) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    ::inet_ntop(family, address, text.data(), text.size());
    std::string host(text.data());
    if (family == AF_INET6) host = "[" + host + "]";
    return host + ":" + std::to_string(port);
}

// A v1 port: decimal 0 to 65535, without a sign or a leading zero.
std::optional<uint16_t> v1_port(std::string_view text) {
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return {};
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value > 65535) return {};
    return static_cast<uint16_t>(value);
}

std::vector<std::string_view> split_on_spaces(std::string_view text) {
    std::vector<std::string_view> fields;
    for (;;) {
        std::size_t space = text.find(' ');
        fields.push_back(text.substr(0, space));
        if (space == std::string_view::npos) return fields;
        text.remove_prefix(space + 1);
    }
}

// "PROXY TCP4 src dst sport dport\r\n", "PROXY TCP6 ...", "PROXY UNKNOWN ...\r\n".
ProxyHeader parse_v1(std::string_view bytes) {
    std::string_view window = bytes.substr(0, kProxyV1MaxLength);
    std::size_t end = window.find_first_of("\r\n");
    if (end == std::string_view::npos) {
        if (bytes.size() >= kProxyV1MaxLength) return refuse(1, "no CRLF within 107 bytes");
        return need_more(1);
    }
    if (window[end] == '\n') return refuse(1, "a line feed without a carriage return");
    if (end + 1 == window.size()) {
        return end + 1 < kProxyV1MaxLength ? need_more(1) : refuse(1, "no CRLF within 107 bytes");
    }
    if (window[end + 1] != '\n') return refuse(1, "a carriage return without a line feed");
    std::size_t length = end + 2;
    std::string_view line = bytes.substr(kV1Prefix.size(), end - kV1Prefix.size());
    // UNKNOWN: the proxy could not tell; whatever follows it is to be ignored.
    if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return accept(1, length, std::nullopt);
    std::vector<std::string_view> fields = split_on_spaces(line);
    if (fields.size() != 5) return refuse(1, "expected TCP4|TCP6 source destination ports");
    int family = fields[0] == "TCP4" ? AF_INET : fields[0] == "TCP6" ? AF_INET6 : 0;
    if (family == 0) return refuse(1, "the protocol must be TCP4, TCP6 or UNKNOWN");
    auto numeric = [](std::string_view text) {
        return std::ranges::all_of(text, [](char c) {
            return std::string_view("0123456789abcdefABCDEF.:").find(c) != std::string_view::npos;
        });
    };
    if (!numeric(fields[1]) || !numeric(fields[2])) return refuse(1, "an address is not numeric");
    std::array<unsigned char, 16> source{};
    std::array<unsigned char, 16> destination{};
    std::string source_text(fields[1]);
    std::string destination_text(fields[2]);
    if (::inet_pton(family, source_text.c_str(), source.data()) != 1 ||
        ::inet_pton(family, destination_text.c_str(), destination.data()) != 1) {
        return refuse(1, "an address is not one of the protocol's family");
    }
    std::optional<uint16_t> source_port = v1_port(fields[3]);
    if (!source_port || !v1_port(fields[4])) return refuse(1, "a port is not 0 to 65535");
    return accept(1, length, address_text(family, source.data(), *source_port));
}

uint16_t big_endian16(std::string_view bytes, std::size_t at) {
    return static_cast<uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                 static_cast<unsigned char>(bytes[at + 1]));
}

// The TLVs after the addresses: skipped, but each must end inside the header.
bool tlvs_fit(std::string_view tlvs) {
    while (!tlvs.empty()) {
        if (tlvs.size() < 3) return false;
        std::size_t length = big_endian16(tlvs, 1);
        if (tlvs.size() < 3 + length) return false;
        tlvs.remove_prefix(3 + length);
    }
    return true;
}

// 12 bytes of signature, version and command, family and transport, a 16-bit length, then
// that many bytes: the addresses and TLVs.
ProxyHeader parse_v2(std::string_view bytes) {
    if (bytes.size() < kV2FixedLength) return need_more(2);
    auto version_command = static_cast<unsigned char>(bytes[12]);
    auto family_transport = static_cast<unsigned char>(bytes[13]);
    std::size_t length = kV2FixedLength + big_endian16(bytes, 14);
    if ((version_command >> 4) != 2) return refuse(2, "the version nibble is not 2");
    unsigned command = version_command & 0x0F;
    if (command > 1) return refuse(2, "the command is neither LOCAL nor PROXY");
    if (bytes.size() < length) return need_more(2);
    // LOCAL: the proxy's own connection (its health checks); the block is discarded.
    if (command == 0) return accept(2, length, std::nullopt);
    std::string_view block = bytes.substr(kV2FixedLength, length - kV2FixedLength);
    unsigned family = family_transport >> 4;
    unsigned transport = family_transport & 0x0F;
    if (family > 3 || transport > 2) return refuse(2, "an unknown address family or transport");
    if (family == 0) {
        // UNSPEC: an unknown protocol; the connection's own peer stays the address.
        if (transport != 0) return refuse(2, "a transport without an address family");
        return accept(2, length, std::nullopt);
    }
    if (transport != 1) return refuse(2, "not a stream connection");
    std::size_t addresses = family == 1 ? kV2Inet : family == 2 ? kV2Inet6 : kV2Unix;
    if (block.size() < addresses) return refuse(2, "the address block is too short");
    if (!tlvs_fit(block.substr(addresses))) return refuse(2, "a TLV runs past the header");
    if (family == 3) return accept(2, length, "unix");
    std::size_t address_size = family == 1 ? 4 : 16;
    uint16_t port = big_endian16(block, 2 * address_size);
    return accept(2, length, address_text(family == 1 ? AF_INET : AF_INET6, block.data(), port));
}

void append_big_endian16(std::string& out, std::size_t value) {
    out += static_cast<char>((value >> 8) & 0xFF);
    out += static_cast<char>(value & 0xFF);
}

// The address in network order, or an empty string when it is not numeric.
std::string packed(int family, std::string_view address) {
    std::array<unsigned char, 16> bytes{};
    std::string text(address);
    if (::inet_pton(family, text.c_str(), bytes.data()) != 1) return {};
    return {reinterpret_cast<const char*>(bytes.data()), family == AF_INET ? 4U : 16U};
}

}  // namespace

ProxyHeader parse_proxy_header(std::string_view bytes) {
    if (bytes.empty()) return need_more(0);
    if (bytes[0] == 'P') {
        std::size_t shown = std::min(bytes.size(), kV1Prefix.size());
        if (bytes.substr(0, shown) != kV1Prefix.substr(0, shown)) {
            return refuse(1, "not a PROXY header");
        }
        return bytes.size() < kV1Prefix.size() ? need_more(1) : parse_v1(bytes);
    }
    std::size_t shown = std::min(bytes.size(), kV2Signature.size());
    if (bytes.substr(0, shown) != kV2Signature.substr(0, shown)) {
        return refuse(0, "no PROXY protocol header");
    }
    return parse_v2(bytes);
}

std::string proxy_v1_header(std::string_view source, uint16_t source_port,
                            std::string_view destination, uint16_t destination_port) {
    bool v6 = source.find(':') != std::string_view::npos;
    std::string line = "PROXY ";
    line += v6 ? "TCP6 " : "TCP4 ";
    line += std::string(source) + " " + std::string(destination) + " " +
            std::to_string(source_port) + " " + std::to_string(destination_port) + "\r\n";
    return line;
}

std::string proxy_v2_header(std::string_view source, uint16_t source_port,
                            std::string_view destination, uint16_t destination_port,
                            std::string_view tlvs) {
    bool v6 = source.find(':') != std::string_view::npos;
    int family = v6 ? AF_INET6 : AF_INET;
    std::string block = packed(family, source) + packed(family, destination);
    append_big_endian16(block, source_port);
    append_big_endian16(block, destination_port);
    block += tlvs;
    std::string header(kV2Signature);
    header += static_cast<char>(0x21);              // version 2, PROXY
    header += static_cast<char>(v6 ? 0x21 : 0x11);  // INET6 or INET, STREAM
    append_big_endian16(header, block.size());
    return header + block;
}

std::string proxy_v2_local_header() {
    std::string header(kV2Signature);
    header += static_cast<char>(0x20);  // version 2, LOCAL
    header += static_cast<char>(0x00);  // UNSPEC
    append_big_endian16(header, 0);
    return header;
}

}  // namespace forkd::http
