// `status_allow` and `trusted_proxies`: addresses, CIDR blocks and "unix", parsed and checked
// when the configuration is loaded (so `forkd -t` and a reload refuse a bad entry, naming its
// line), and matched against a client's address by the status page and the trust rule of
// session/client_address.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace forkd::config {

// One entry: an address, a CIDR block, or "unix" (unix-socket clients).
struct AllowedNetwork {
    int family = 0;  // AF_INET, AF_INET6 or AF_UNIX
    std::array<uint8_t, 16> address{};
    int prefix_bits = 0;
};

// An entry, or the sentence that explains why it is not one (naming `key`).
std::variant<AllowedNetwork, std::string> parse_allowed_network(
    std::string_view entry, std::string_view key = "status_allow");
// Every entry of a list already checked (check_networks); throws std::invalid_argument with
// the first problem otherwise.
std::vector<AllowedNetwork> parse_allowed_networks(const std::vector<std::string>& entries,
                                                   std::string_view key);
bool contains_any(const std::vector<AllowedNetwork>& networks, const AllowedNetwork& address);
// "127.0.0.1:5000", "[::1]:4000" or "unix" (a request's remote_addr) as the address it
// names; IPv4-mapped IPv6 addresses compare as IPv4.
std::optional<AllowedNetwork> client_address(std::string_view remote_addr);
bool contains(const AllowedNetwork& network, const AllowedNetwork& address);
bool is_loopback(const AllowedNetwork& address);

// The first invalid entry as a message naming it ("status_allow: '10.0.0.300' is not an IPv4
// or IPv6 address, a CIDR block or \"unix\""), or std::nullopt when every entry is valid.
std::optional<std::string> check_networks(const std::vector<std::string>& entries,
                                          std::string_view key);
inline std::optional<std::string> check_status_allow(const std::vector<std::string>& allow) {
    return check_networks(allow, "status_allow");
}

}  // namespace forkd::config
