// `status_allow`: addresses, CIDR blocks and "unix", parsed and checked when the
// configuration is loaded (so `forkd -t` and a reload refuse a bad entry, naming its line),
// and matched against a client's address by the status page.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace forkd::config {

// One `status_allow` entry: an address, a CIDR block, or "unix" (unix-socket clients).
struct AllowedNetwork {
    int family = 0;  // AF_INET, AF_INET6 or AF_UNIX
    std::array<uint8_t, 16> address{};
    int prefix_bits = 0;
};

// An entry, or the sentence that explains why it is not one.
std::variant<AllowedNetwork, std::string> parse_allowed_network(std::string_view entry);
// "127.0.0.1:5000", "[::1]:4000" or "unix" (a request's remote_addr) as the address it
// names; IPv4-mapped IPv6 addresses compare as IPv4.
std::optional<AllowedNetwork> client_address(std::string_view remote_addr);
bool contains(const AllowedNetwork& network, const AllowedNetwork& address);
bool is_loopback(const AllowedNetwork& address);

// The first invalid entry as a message naming it ("status_allow: '10.0.0.300' is not an IPv4
// or IPv6 address, a CIDR block or \"unix\""), or std::nullopt when every entry is valid.
std::optional<std::string> check_status_allow(const std::vector<std::string>& allow);

}  // namespace forkd::config
