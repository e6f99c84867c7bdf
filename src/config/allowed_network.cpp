#include "config/allowed_network.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>

namespace forkd::config {
namespace {

constexpr std::size_t kMappedPrefixBytes = 12;  // ::ffff:0:0/96, IPv4-mapped IPv6

std::optional<AllowedNetwork> parse_ip(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
    }
    std::string host(text);  // inet_pton wants a terminated string
    AllowedNetwork network;
    if (inet_pton(AF_INET, host.c_str(), network.address.data()) == 1) {
        network.family = AF_INET;
        network.prefix_bits = 32;
        return network;
    }
    if (inet_pton(AF_INET6, host.c_str(), network.address.data()) == 1) {
        network.family = AF_INET6;
        network.prefix_bits = 128;
        return network;
    }
    return std::nullopt;
}

// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; compare them as IPv4, so that
// "10.0.0.0/8" and 127.0.0.1 mean the same whatever socket the client came in on.
void unmap_ipv4(AllowedNetwork& network) {
    static constexpr std::array<uint8_t, kMappedPrefixBytes> kMapped = {0, 0, 0, 0, 0,    0,
                                                                        0, 0, 0, 0, 0xff, 0xff};
    if (network.family != AF_INET6 || network.prefix_bits < 96) return;
    if (!std::equal(kMapped.begin(), kMapped.end(), network.address.begin())) return;
    std::array<uint8_t, 16> ipv4{};
    std::copy_n(network.address.begin() + kMappedPrefixBytes, 4, ipv4.begin());
    network = AllowedNetwork{AF_INET, ipv4, network.prefix_bits - 96};
}

bool prefix_matches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
    auto whole_bytes = static_cast<std::size_t>(bits / 8);
    if (!std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(whole_bytes), b.begin())) {
        return false;
    }
    int rest = bits % 8;
    if (rest == 0) return true;
    auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
    return (a[whole_bytes] & mask) == (b[whole_bytes] & mask);
}

bool has_host_bits(const AllowedNetwork& network) {
    int width = network.family == AF_INET ? 32 : 128;
    for (int bit = network.prefix_bits; bit < width; ++bit) {
        if (network.address[static_cast<std::size_t>(bit / 8)] & (0x80 >> (bit % 8))) return true;
    }
    return false;
}

}  // namespace

// An entry, or the sentence that explains why it is not one.
std::variant<AllowedNetwork, std::string> parse_allowed_network(std::string_view entry,
                                                                std::string_view key) {
    std::string quoted = std::string(key) + ": '" + std::string(entry) + "'";
    if (entry == "unix") return AllowedNetwork{AF_UNIX, {}, 0};
    std::size_t slash = entry.find('/');
    std::optional<AllowedNetwork> network = parse_ip(entry.substr(0, slash));
    if (!network) {
        return quoted + " is not an IPv4 or IPv6 address, a CIDR block or \"unix\"";
    }
    if (slash != std::string_view::npos) {
        std::string_view digits = entry.substr(slash + 1);
        int width = network->family == AF_INET ? 32 : 128;
        int bits = -1;
        bool numeric =
            !digits.empty() && digits.size() <= 3 &&
            std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (numeric) bits = std::stoi(std::string(digits));
        if (bits < 0 || bits > width) {
            return quoted + ": the prefix length must be 0 to " + std::to_string(width);
        }
        network->prefix_bits = bits;
        if (has_host_bits(*network)) {
            return quoted + " has address bits set beyond the /" + std::to_string(bits) + " prefix";
        }
    }
    unmap_ipv4(*network);
    return *network;
}

// "127.0.0.1:5000", "[::1]:4000" or "unix" as the address it names.
std::optional<AllowedNetwork> client_address(std::string_view remote_addr) {
    if (remote_addr == "unix") return AllowedNetwork{AF_UNIX, {}, 0};
    std::string_view host = remote_addr;
    if (host.starts_with('[')) {
        host = host.substr(0, host.find(']') + 1);
    } else if (std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    std::optional<AllowedNetwork> address = parse_ip(host);
    if (address) unmap_ipv4(*address);
    return address;
}

bool contains(const AllowedNetwork& network, const AllowedNetwork& address) {
    if (network.family != address.family) return false;
    return network.family == AF_UNIX ||
           prefix_matches(network.address, address.address, network.prefix_bits);
}

bool is_loopback(const AllowedNetwork& address) {
    static constexpr std::array<uint8_t, 16> kIpv6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                              0, 0, 0, 0, 0, 0, 0, 1};
    switch (address.family) {
        case AF_UNIX:
            return true;
        case AF_INET:
            return address.address[0] == 127;
        case AF_INET6:
            return address.address == kIpv6Loopback;
    }
    return false;
}

std::vector<AllowedNetwork> parse_allowed_networks(const std::vector<std::string>& entries,
                                                   std::string_view key) {
    std::vector<AllowedNetwork> networks;
    for (const std::string& entry : entries) {
        auto parsed = parse_allowed_network(entry, key);
        if (auto* problem = std::get_if<std::string>(&parsed))
            throw std::invalid_argument(*problem);
        networks.push_back(std::get<AllowedNetwork>(parsed));
    }
    return networks;
}

bool contains_any(const std::vector<AllowedNetwork>& networks, const AllowedNetwork& address) {
    return std::ranges::any_of(
        networks, [&](const AllowedNetwork& network) { return contains(network, address); });
}

std::optional<std::string> check_networks(const std::vector<std::string>& entries,
                                          std::string_view key) {
    for (const std::string& entry : entries) {
        auto parsed = parse_allowed_network(entry, key);
        if (auto* problem = std::get_if<std::string>(&parsed)) return *problem;
    }
    return std::nullopt;
}

}  // namespace forkd::config
