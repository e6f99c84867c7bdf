#include "session/client_address.hpp"

#include "http/forwarded.hpp"

namespace forkd::session {

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries)
    : networks_(config::parse_allowed_networks(entries, "trusted_proxies")) {}

bool TrustedProxies::trusts(std::string_view address) const {
    if (networks_.empty()) return false;
    std::optional<config::AllowedNetwork> parsed = config::client_address(address);
    return parsed && config::contains_any(networks_, *parsed);
}

void name_client(Request& request, const std::string& peer, const TrustedProxies& trusted) {
    request.peer_addr = peer;
    request.remote_addr = peer;
    // A request made anew says "http" already (the parser's, every time): no copy then.
    if (std::string_view(request.scheme) != "http") request.scheme = "http";
    if (!trusted.trusts(peer)) return;
    bool rfc7239 = request.headers.contains("Forwarded");
    std::vector<http::ForwardedHop> hops;
    std::string proto;
    if (rfc7239) {
        std::optional<std::vector<http::ForwardedHop>> read = http::forwarded_hops(request.headers);
        if (!read) return;  // a malformed field: nothing in it is taken
        hops = std::move(*read);
    } else {
        hops = http::x_forwarded_for_hops(request.headers);
        proto = http::x_forwarded_proto(request.headers);
    }
    std::string client = peer;
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        // Forwarded: each element describes the connection into the proxy that wrote it.
        if (rfc7239) proto = hop->proto;
        std::optional<std::string> address = http::hop_address(hop->node);
        if (!address) break;
        client = std::move(*address);
        if (!trusted.trusts(client)) break;
    }
    request.remote_addr = std::move(client);
    if (proto == "https") request.scheme = "https";
}

}  // namespace forkd::session
