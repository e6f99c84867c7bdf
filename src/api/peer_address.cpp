#include "api/peer_address.hpp"

namespace forkd::api {

PeerAddress split_peer(std::string_view remote_addr) {
    if (remote_addr.starts_with('[')) {
        // "[2001:db8::1]:80", or "[2001:db8::1]" as a trusted proxy's header may name it.
        std::size_t close = remote_addr.find(']');
        if (close != std::string_view::npos) {
            std::string_view rest = remote_addr.substr(close + 1);
            if (rest.starts_with(':')) rest.remove_prefix(1);
            return {std::string(remote_addr.substr(1, close - 1)), std::string(rest)};
        }
    }
    std::size_t colon = remote_addr.rfind(':');
    if (colon == std::string_view::npos) return {std::string(remote_addr), ""};
    return {std::string(remote_addr.substr(0, colon)), std::string(remote_addr.substr(colon + 1))};
}

}  // namespace forkd::api
