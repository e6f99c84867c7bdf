// A Request's remote_addr taken apart: "127.0.0.1:51234" and "[::1]:40000" into host and
// port (the brackets gone); "unix", "192.0.2.1" and "[2001:db8::1]" (a client a trusted
// proxy named without its port) are hosts without a port.
#pragma once

#include <string>
#include <string_view>

namespace forkd::api {

struct PeerAddress {
    std::string host;
    std::string port;  // "" for a unix socket
};

PeerAddress split_peer(std::string_view remote_addr);

}  // namespace forkd::api
