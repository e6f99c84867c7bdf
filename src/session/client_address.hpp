// Who the client is: the trust rule every serving process applies to a request before it is
// routed, logged or handed on.
//
// The connection's peer (the socket's, or what a PROXY header said on a proxy_protocol
// listener) is the client, unless it is one of `trusted_proxies`. Then the forwarding list
// it sent (`Forwarded` when present, else `X-Forwarded-For`) is walked from the right, the
// hop nearest forkd first, past every trusted address: the first address that is not
// trusted is the client (the rightmost-untrusted rule; a client cannot hide behind entries
// it wrote itself, since every trusted proxy appends the address it saw). A hop that names
// no address (`unknown`, an obfuscated node, garbage) ends the walk at the last address
// known. The scheme comes from the same trusted source: Forwarded's `proto` of the client's
// hop, or the last `X-Forwarded-Proto`.
//
// Nothing is taken from a peer that is not trusted: its headers reach the handler as they
// are, but remote_addr stays the peer and the scheme "http".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/allowed_network.hpp"
#include "forkd/request.hpp"

namespace forkd::session {

class TrustedProxies {
  public:
    TrustedProxies() = default;
    // `trusted_proxies` as configured; throws std::invalid_argument on an invalid entry (the
    // configuration loader refuses those first).
    explicit TrustedProxies(const std::vector<std::string>& entries);

    // Whether `address` (a remote_addr: "192.0.2.1:80", "[::1]", "unix") is a trusted proxy.
    bool trusts(std::string_view address) const;
    bool empty() const { return networks_.empty(); }

  private:
    std::vector<config::AllowedNetwork> networks_;
};

// Sets the request's peer_addr to `peer`, and its remote_addr and scheme by the rule above.
void name_client(Request& request, const std::string& peer, const TrustedProxies& trusted);

}  // namespace forkd::session
