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

Fd open_listener(const config::ListenAddress& address, const config::Config& config) {
    if (address.kind == config::ListenAddress::Kind::unix_socket) {
        return os::listen_unix(address.path, config.backlog, address.text);
    }
    Fd fd =
        os::listen_tcp(address.host, address.port, config.backlog, address.text, config.reuse_port);
    if (config.reuse_port) {
        std::string why_not = os::migrate_queue_on_close(fd.get());
        if (!why_not.empty()) {
            log::warn(
                "reuse_port on {}: when this server stops, the connections still queued "
                "on its socket will be reset, not moved to the other servers on the port "
                "(forkd {}); set net.ipv4.tcp_migrate_req = 1 to have them moved",
                address.text, why_not);
        }
    }
    return fd;
}

// `reuse_port` is a socket's from its bind to its close: a socket that joined a port's
// SO_REUSEPORT group cannot leave it while it listens, and one that did not cannot be
// rebound beside itself. A reload or an upgrade keeps its sockets, so a changed setting
// applies only to the sockets opened from then on; says so for those it does not reach.
void warn_if_reuse_port_differs(const Listener& listener, const config::Config& config) {
    if (listener.address.starts_with("unix:")) return;
    bool on = os::reuses_port(listener.fd.get());
    if (on == config.reuse_port) return;
    if (listener.from_systemd) {
        // systemd's sockets are set by the socket unit; only an unmet "on" is worth a word.
        if (config.reuse_port) {
            log::warn(
                "reuse_port is on but {} comes from systemd without it: set "
                "ReusePort=yes in the socket unit",
                listener.address);
        }
        return;
    }
    log::warn(
        "reuse_port is {} but {} was opened with it {} and is kept as it is: restart "
        "forkd to change it",
        config.reuse_port ? "on" : "off", listener.address, on ? "on" : "off");
}

bool listen_given(const config::Config& config) {
    return std::ranges::find(config.keys_set, "listen") != config.keys_set.end();
}

}  // namespace

ListenerPlan plan_listeners(const config::Config& config, const std::vector<Listener>& reusable) {
    ListenerPlan plan;
    bool socket_activated = std::ranges::any_of(reusable, &Listener::from_systemd);
    std::vector<bool> taken(reusable.size(), false);
    if (listen_given(config) || !socket_activated) {
        for (std::size_t i = 0; i < config.listen.size(); ++i)
            plan.addresses.push_back({i, std::nullopt});
    }
    // Exact addresses first, so that a port-0 entry cannot take a socket another entry names.
    for (bool any_port : {false, true}) {
        for (ListenerPlan::Choice& choice : plan.addresses) {
            const config::ListenAddress& address = config.listen[choice.address];
            if (is_any_port(address) != any_port) continue;
            for (std::size_t j = 0; j < reusable.size(); ++j) {
                if (taken[j] || !serves(reusable[j], address)) continue;
                // "Any free port" is for sockets forkd opened: systemd's is served anyway.
                if (any_port && reusable[j].from_systemd) continue;
                choice.reused = j;
                taken[j] = true;
                break;
            }
        }
    }
    for (std::size_t j = 0; j < reusable.size(); ++j) {
        if (!taken[j]) (reusable[j].from_systemd ? plan.systemd : plan.unused).push_back(j);
    }
    return plan;
}

std::vector<Listener> open_listeners(const config::Config& config, std::vector<Listener> reusable,
                                     std::vector<Listener>* unused) {
    return open_listeners_from(config, reusable, unused);
}

std::vector<Listener> open_listeners_from(const config::Config& config,
                                          std::vector<Listener>& reusable,
                                          std::vector<Listener>* unused) {
    ListenerPlan plan = plan_listeners(config, reusable);
    // The new addresses are opened before anything is taken from `reusable`: when one
    // fails, a reload's running set is still whole (the ones opened close here).
    std::vector<Listener> opened;
    for (const ListenerPlan::Choice& choice : plan.addresses) {
        if (choice.reused) continue;
        Fd fd = open_listener(config.listen[choice.address], config);
        std::string bound = os::local_address(fd.get());
        log::info("listening on {}", bound);
        opened.push_back({std::move(fd), std::move(bound)});
    }
    std::vector<Listener> listeners;
    auto next_opened = opened.begin();
    for (const ListenerPlan::Choice& choice : plan.addresses) {
        if (choice.reused) warn_if_reuse_port_differs(reusable[*choice.reused], config);
        listeners.push_back(choice.reused ? std::move(reusable[*choice.reused])
                                          : std::move(*next_opened++));
        listeners.back().proxy_protocol = config.listen[choice.address].proxy_protocol;
    }
    for (std::size_t j : plan.systemd) {
        warn_if_reuse_port_differs(reusable[j], config);
        listeners.push_back(std::move(reusable[j]));
        listeners.back().proxy_protocol = false;  // no entry names it
    }
    for (const Listener& listener : listeners) {
        if (listener.proxy_protocol) log::info("{} expects the PROXY protocol", listener.address);
    }
    if (unused != nullptr) {
        unused->clear();
        for (std::size_t j : plan.unused)
            unused->push_back(std::move(reusable[j]));
    }
    reusable.clear();
    return listeners;
}

std::vector<Listener> adopt_listeners(const std::vector<int>& fds,
                                      const std::vector<int>& systemd_fds) {
    std::vector<Listener> listeners;
    auto adopt = [&](int fd) {
        bool from_systemd = std::ranges::find(systemd_fds, fd) != systemd_fds.end();
        os::set_nonblocking(fd, true);
        os::tune_tcp_listener(fd);  // systemd's, or a binary upgrade's (set already)
        std::string bound = os::local_address(fd);
        log::info("listening on {} ({})", bound, from_systemd ? "from systemd" : "inherited");
        listeners.push_back({Fd(fd), std::move(bound), from_systemd});
    };
    for (int fd : fds)
        adopt(fd);
    for (int fd : systemd_fds) {
        if (std::ranges::find(fds, fd) == fds.end()) adopt(fd);
    }
    return listeners;
}

std::vector<int> listener_fds(const std::vector<Listener>& listeners) {
    std::vector<int> fds;
    for (const Listener& listener : listeners)
        fds.push_back(listener.fd.get());
    return fds;
}

std::vector<session::ListeningSocket> listening_sockets(const std::vector<Listener>& listeners) {
    std::vector<session::ListeningSocket> sockets;
    for (const Listener& listener : listeners)
        sockets.push_back({listener.fd.get(), listener.proxy_protocol});
    return sockets;
}

std::vector<int> systemd_listener_fds(const std::vector<Listener>& listeners) {
    std::vector<int> fds;
    for (const Listener& listener : listeners) {
        if (listener.from_systemd) fds.push_back(listener.fd.get());
    }
    return fds;
}

void stop_listening(const std::vector<Listener>& listeners) {
    // On Linux, shutdown(SHUT_RD) of a listening socket takes it out of the listening state
    // (TCP and unix alike), for systemd too, which shares the socket: it would then neither
    // queue connections nor start the service for them.
    for (const Listener& listener : listeners) {
        if (!listener.from_systemd) os::stop_listening(listener.fd.get());
    }
}

std::vector<std::string> socket_files_to_remove(const config::Config& config,
                                                const std::vector<Listener>& listeners) {
    std::vector<std::string> paths;
    for (const config::ListenAddress& address : config.listen) {
        if (address.kind != config::ListenAddress::Kind::unix_socket) continue;
        bool systemds = std::ranges::any_of(listeners, [&](const Listener& listener) {
            return listener.from_systemd && serves(listener, address);
        });
        if (!systemds) paths.push_back(address.path);
    }
    return paths;
}

void remove_socket_files(const std::vector<std::string>& paths) {
    for (const std::string& path : paths)
        ::unlink(path.c_str());
}

}  // namespace forkd::master
