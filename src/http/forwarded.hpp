// The fields by which proxies name the client they forward for: `Forwarded` (RFC 7239),
// `X-Forwarded-For` and `X-Forwarded-Proto`. Pure reading of the fields; whom to believe
// is session/client_address.hpp's rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkd/request.hpp"

namespace forkd::http {

// One hop of a forwarding list, the client's side first: the node as sent (unquoted), and
// the scheme that hop was reached with (Forwarded's `proto`; empty when not said).
struct ForwardedHop {
    std::string node;
    std::string proto;
};

// Every `Forwarded` field's elements, in order, or none when a field breaks RFC 7239's
// syntax (a pair without `=`, a bad token or quoted string, a parameter twice in an
// element): then nothing in them can be relied on.
std::optional<std::vector<ForwardedHop>> forwarded_hops(const Headers& headers);
// Every `X-Forwarded-For` field's comma-separated entries, in order (protos left empty).
std::vector<ForwardedHop> x_forwarded_for_hops(const Headers& headers);
// The last value of `X-Forwarded-Proto` (the one the nearest proxy set), lower-cased;
// empty when absent.
std::string x_forwarded_proto(const Headers& headers);

// A hop's node as a Request's remote_addr: "192.0.2.1", "192.0.2.1:8080", "[2001:db8::1]",
// "[2001:db8::1]:8080" (an IPv6 address without brackets is taken too, as X-Forwarded-For
// writes it). None for "unknown", an obfuscated node ("_hidden") or anything malformed.
std::optional<std::string> hop_address(std::string_view node);

}  // namespace forkd::http
