#include "master/listeners.hpp"

#include <unistd.h>

#include <algorithm>

#include "base/log.hpp"
#include "os/socket.hpp"

namespace forkd::master {

namespace {

// The text os::local_address() gives for a socket bound to `address`; "" for port 0, which
// no open socket can match.
std::string bound_text(const config::ListenAddress& address) {
    if (address.kind == config::ListenAddress::Kind::unix_socket) return "unix:" + address.path;
    if (address.port == 0) return "";
    bool v6 = address.host.find(':') != std::string::npos;
    return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

Fd open_listener(const config::ListenAddress& address, int backlog) {
    if (address.kind == config::ListenAddress::Kind::unix_socket) {
        return os::listen_unix(address.path, backlog, address.text);
    }
    return os::listen_tcp(address.host, address.port, backlog, address.text);
}

}  // namespace

std::vector<Listener> open_listeners(const config::Config& config, std::vector<Listener> reusable,
                                     std::vector<Listener>* unused) {
    std::vector<Listener> listeners;
    for (const config::ListenAddress& address : config.listen) {
        std::string wanted = bound_text(address);
        auto same = std::find_if(reusable.begin(), reusable.end(), [&](const Listener& l) {
            return !wanted.empty() && l.address == wanted;
        });
        if (same != reusable.end()) {
            listeners.push_back(std::move(*same));
            reusable.erase(same);
            continue;
        }
        Fd fd = open_listener(address, config.backlog);
        std::string bound = os::local_address(fd.get());
        log::info("listening on {}", bound);
        listeners.push_back({std::move(fd), std::move(bound)});
    }
    if (unused != nullptr) *unused = std::move(reusable);
    return listeners;
}

std::vector<Listener> adopt_listeners(const std::vector<int>& fds) {
    std::vector<Listener> listeners;
    for (int fd : fds) {
        os::set_nonblocking(fd, true);
        std::string bound = os::local_address(fd);
        log::info("listening on {} (inherited)", bound);
        listeners.push_back({Fd(fd), std::move(bound)});
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
