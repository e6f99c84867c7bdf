#include "master/listeners.hpp"

#include <unistd.h>

#include "base/log.hpp"
#include "os/socket.hpp"

namespace forkd::master {

std::vector<Listener> open_listeners(const config::Config& config) {
    std::vector<Listener> listeners;
    for (const config::ListenAddress& address : config.listen) {
        Fd fd = address.kind == config::ListenAddress::Kind::unix_socket
                    ? os::listen_unix(address.path, config.backlog, address.text)
                    : os::listen_tcp(address.host, address.port, config.backlog, address.text);
        std::string bound = os::local_address(fd.get());
        log::info("listening on {}", bound);
        listeners.push_back({std::move(fd), std::move(bound)});
    }
    return listeners;
}

std::vector<int> listener_fds(const std::vector<Listener>& listeners) {
    std::vector<int> fds;
    for (const Listener& listener : listeners)
        fds.push_back(listener.fd.get());
    return fds;
}

void stop_listening(const std::vector<Listener>& listeners) {
    // On Linux, shutdown(SHUT_RD) of a listening socket takes it out of the listening state
    // (TCP and unix alike). A binary upgrade will have to skip the listeners it hands over.
    for (const Listener& listener : listeners)
        os::stop_listening(listener.fd.get());
}

void remove_unix_socket_files(const config::Config& config) {
    for (const config::ListenAddress& address : config.listen) {
        if (address.kind == config::ListenAddress::Kind::unix_socket) {
            ::unlink(address.path.c_str());
        }
    }
}

}  // namespace forkd::master
