#include "api/peer_address.hpp"

namespace forkd::api {

PeerAddress split_peer(std::string_view remote_addr) {
    std::size_t colon = remote_addr.rfind(':');
    if (colon == std::string_view::npos) return {std::string(remote_addr), ""};
    std::string_view host = remote_addr.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    return {std::string(host), std::string(remote_addr.substr(colon + 1))};
}

}  // namespace forkd::api
