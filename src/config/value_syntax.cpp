// Parsers are strict on purpose: a config that says "5 s", "+5s" or "5sec" is a typo more
// often than a wish, and guessing would hide it until the timeout misbehaves in production.
#include "config/value_syntax.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <charconv>
#include <limits>
#include <utility>

#include "config/config_loader.hpp"

namespace forkd::config {
namespace {

// Leading digits only: no sign, no spaces. Returns the value and the unparsed rest.
std::optional<std::pair<std::uint64_t, std::string_view>> leading_number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{}) return std::nullopt;  // no digits, or out of range
    return std::pair{value, text.substr(static_cast<std::size_t>(end - text.data()))};
}

std::optional<std::uint64_t> checked_multiply(std::uint64_t value, std::uint64_t factor,
                                              std::uint64_t max) {
    if (value > max / factor) return std::nullopt;
    return value * factor;
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// "80" -> 80; anything but 0..65535 in plain digits is refused.
std::optional<std::uint16_t> parse_port(std::string_view text) {
    const auto number = leading_number(text);
    if (!number || !number->second.empty() || number->first > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(number->first);
}

[[noreturn]] void bad_address(std::string_view text, std::string_view why) {
    throw ConfigError("\"" + std::string(text) + "\": " + std::string(why));
}

// `shown`: the whole entry, named in messages.
ListenAddress parse_unix_address(std::string_view text, std::string_view shown) {
    ListenAddress address;
    address.kind = ListenAddress::Kind::unix_socket;
    address.text = std::string(text);
    address.path = text.substr(5);
    if (address.path.empty() || address.path.front() != '/') {
        bad_address(shown, "a unix socket path must be absolute");
    }
    // bind(2) needs the path and its NUL inside sockaddr_un::sun_path.
    if (address.path.size() >= sizeof(sockaddr_un::sun_path)) {
        bad_address(shown, "a unix socket path must be shorter than " +
                               std::to_string(sizeof(sockaddr_un::sun_path)) + " bytes");
    }
    return address;
}

// Returns the numeric host for "*", "localhost", IPv4 or a bracketed IPv6 address.
std::optional<std::string> numeric_host(std::string_view host) {
    if (host == "*") return "0.0.0.0";
    if (host == "localhost") return "127.0.0.1";
    unsigned char buffer[sizeof(in6_addr)];
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        std::string inner(host.substr(1, host.size() - 2));
        if (inet_pton(AF_INET6, inner.c_str(), buffer) == 1) return inner;
        return std::nullopt;
    }
    std::string plain(host);
    if (inet_pton(AF_INET, plain.c_str(), buffer) == 1) return plain;
    return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    const auto number = leading_number(text);
    if (!number) return std::nullopt;
    const auto [value, unit] = *number;
    std::uint64_t factor = 0;
    if (unit.empty() || unit == "s") {
        factor = 1000;
    } else if (unit == "ms") {
        factor = 1;
    } else if (unit == "m") {
        factor = 60 * 1000;
    } else if (unit == "h") {
        factor = 60 * 60 * 1000;
    } else {
        return std::nullopt;
    }
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
    const auto millis = checked_multiply(value, factor, max);
    if (!millis) return std::nullopt;
    return Duration(static_cast<Duration::rep>(*millis));
}

std::optional<std::size_t> parse_size(std::string_view text) {
    const auto number = leading_number(text);
    if (!number) return std::nullopt;
    const auto [value, unit] = *number;
    std::uint64_t factor = 1;
    if (unit.size() == 1 && lower(unit[0]) == 'k') {
        factor = std::uint64_t{1} << 10;
    } else if (unit.size() == 1 && lower(unit[0]) == 'm') {
        factor = std::uint64_t{1} << 20;
    } else if (unit.size() == 1 && lower(unit[0]) == 'g') {
        factor = std::uint64_t{1} << 30;
    } else if (!unit.empty()) {
        return std::nullopt;
    }
    const auto bytes = checked_multiply(value, factor, std::numeric_limits<std::size_t>::max());
    if (!bytes) return std::nullopt;
    return static_cast<std::size_t>(*bytes);
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc{} || stop != end) return std::nullopt;
    return value;
}

std::optional<bool> parse_switch(std::string_view text) {
    if (text == "on" || text == "true") return true;
    if (text == "off" || text == "false") return false;
    return std::nullopt;
}

namespace {

// The address part of a `listen` entry; `shown`: the whole entry, named in messages.
ListenAddress parse_address(std::string_view text, std::string_view shown) {
    if (text.starts_with("unix:")) return parse_unix_address(text, shown);
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        bad_address(shown, "expected host:port, [ipv6]:port or unix:/absolute/path");
    }
    const auto host = numeric_host(text.substr(0, colon));
    if (!host) {
        bad_address(shown,
                    "the host must be a numeric IPv4 address, [IPv6 address], * or "
                    "localhost");
    }
    const auto port = parse_port(text.substr(colon + 1));
    if (!port) bad_address(shown, "the port must be a number from 0 to 65535");
    ListenAddress address;
    address.host = *host;
    address.port = *port;
    address.text = std::string(text);
    return address;
}

}  // namespace

ListenAddress parse_listen_address(std::string_view entry) {
    // Options follow the address after a space: "127.0.0.1:8080 proxy_protocol".
    const auto space = entry.find(' ');
    std::string_view text = entry.substr(0, space);
    ListenAddress address = parse_address(text, entry);
    std::string_view options = space == std::string_view::npos ? "" : entry.substr(space);
    while (!options.empty()) {
        if (options.front() == ' ') {
            options.remove_prefix(1);
            continue;
        }
        const auto option = options.substr(0, options.find(' '));
        if (option != "proxy_protocol") {
            bad_address(entry, "unknown option \"" + std::string(option) +
                                   "\" (the only one is proxy_protocol)");
        }
        address.proxy_protocol = true;
        options.remove_prefix(option.size());
    }
    return address;
}

std::string format_duration(Duration duration) {
    const auto ms = duration.count();
    if (ms == 0) return "0s";
    if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::string format_size(std::size_t bytes) {
    constexpr std::size_t kKilo = 1024;
    if (bytes == 0) return "0";
    if (bytes % (kKilo * kKilo * kKilo) == 0) return std::to_string(bytes >> 30) + "g";
    if (bytes % (kKilo * kKilo) == 0) return std::to_string(bytes >> 20) + "m";
    if (bytes % kKilo == 0) return std::to_string(bytes >> 10) + "k";
    return std::to_string(bytes);
}

std::string_view to_string(Mode mode) {
    switch (mode) {
        case Mode::single:
            return "single";
        case Mode::fork:
            return "fork";
        case Mode::prefork:
            return "prefork";
        case Mode::hybrid:
            return "hybrid";
    }
    return "?";
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "?";
}

}  // namespace forkd::config

namespace forkd::config {

std::string_view to_string(Pm pm) {
    switch (pm) {
        case Pm::static_pool:
            return "static";
        case Pm::dynamic:
            return "dynamic";
        case Pm::ondemand:
            return "ondemand";
    }
    return "?";
}

}  // namespace forkd::config
