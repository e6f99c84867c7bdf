#include "master/listeners.hpp"

#include <unistd.h>

#include <algorithm>

#include "base/log.hpp"
#include "os/socket.hpp"

namespace forkd::master {

namespace {

// Whether `listener` is the socket `address` asks for. A port-0 entry ("any free port") is
// served by any socket on its host: a reload or a binary upgrade with the same configuration
// keeps the port it got instead of opening another one and dropping the first.
bool serves(const Listener& listener, const config::ListenAddress& address) {
    if (address.kind == config::ListenAddress::Kind::unix_socket) {
        return listener.address == "unix:" + address.path;
    }
    bool v6 = address.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + address.host + "]" : address.host;
    if (address.port == 0) return listener.address.starts_with(host + ":");
    return listener.address == host + ":" + std::to_string(address.port);
}

bool is_any_port(const config::ListenAddress& address) {
    return address.kind != config::ListenAddress::Kind::unix_socket && address.port == 0;
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
    return open_listeners_from(config, reusable, unused);
}

std::vector<Listener> open_listeners_from(const config::Config& config,
                                          std::vector<Listener>& reusable,
                                          std::vector<Listener>* unused) {
    std::size_t count = config.listen.size();
    std::vector<Listener> listeners(count);
    std::vector<bool> kept(count, false);  // listeners[i] was taken from `reusable`
    // Exact addresses first, so that a port-0 entry cannot take a socket another entry names.
    for (bool any_port : {false, true}) {
        for (std::size_t i = 0; i < count; ++i) {
            const config::ListenAddress& address = config.listen[i];
            if (is_any_port(address) != any_port) continue;
            auto same = std::find_if(reusable.begin(), reusable.end(),
                                     [&](const Listener& l) { return serves(l, address); });
            if (same == reusable.end()) continue;
            listeners[i] = std::move(*same);
            reusable.erase(same);
            kept[i] = true;
        }
    }
    try {
        for (std::size_t i = 0; i < count; ++i) {
            if (kept[i]) continue;
            Fd fd = open_listener(config.listen[i], config.backlog);
            std::string bound = os::local_address(fd.get());
            log::info("listening on {}", bound);
            listeners[i] = {std::move(fd), std::move(bound)};
        }
    } catch (...) {
        // A failed reload must leave the running sockets open: the ones taken go back (the
        // ones opened here close with `listeners`).
        for (std::size_t i = 0; i < count; ++i) {
            if (kept[i]) reusable.push_back(std::move(listeners[i]));
        }
        throw;
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
