// The listening sockets of a server, opened once by the process that starts it and
// inherited by every child that accepts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "config/config.hpp"
#include "session/connection.hpp"

namespace forkd::master {

struct Listener {
    Fd fd;
    std::string address;  // what it is bound to: "127.0.0.1:41234" even for port 0
    // Passed by systemd (socket activation), directly or through an old master. Served
    // whatever `listen` says and kept by every reload; never shut down, and its socket file
    // never removed: forkd could not make it again with the identity systemd gave it, and
    // systemd keeps it to queue connections for the next start.
    bool from_systemd = false;
    // Connections begin with a PROXY protocol header: the `listen` entry that names this
    // socket says so. Not a property of the socket but of the configuration, so it is
    // decided again by every open_listeners (a reload, the new master of a binary upgrade,
    // sockets from systemd matched to their entry by address), never passed along with the fd.
    bool proxy_protocol = false;
};

// The environment variables that name the listeners a binary upgrade hands over: all of
// them, and those among them that came from systemd.
inline constexpr const char* kInheritedListenersVariable = "FORKD_LISTEN_FDS";
inline constexpr const char* kSystemdListenersVariable = "FORKD_SYSTEMD_FDS";

// Which socket serves each address, decided before any is opened (pure; unit-tested).
struct ListenerPlan {
    struct Choice {
        std::size_t address;                // index in config.listen
        std::optional<std::size_t> reused;  // index in `reusable`; none: open the address
    };
    std::vector<Choice> addresses;     // the `listen` addresses served, in their order
    std::vector<std::size_t> systemd;  // systemd sockets no address names: served as well
    std::vector<std::size_t> unused;   // the other reusable sockets: to be closed
};
// An open socket bound to an address serves it (for a port-0 address, any socket on its
// host but systemd's). systemd's sockets are always served. When `listen` was not given
// (neither key nor flag) and systemd passed sockets, they are the server's addresses and
// the default address is not opened beside them, as gunicorn does.
ListenerPlan plan_listeners(const config::Config& config, const std::vector<Listener>& reusable);

// Listeners for every `listen` address and every systemd socket (plan_listeners):
// `reusable` is the running set on a reload, or those inherited from an old master or
// systemd; what the plan does not use is returned in `unused`. Throws std::runtime_error
// naming the first address that fails.
std::vector<Listener> open_listeners(const config::Config& config,
                                     std::vector<Listener> reusable = {},
                                     std::vector<Listener>* unused = nullptr);
// The same for a reload: takes from `reusable` what it keeps; when an address fails,
// `reusable` holds every socket it held before, so the running set stays whole.
std::vector<Listener> open_listeners_from(const config::Config& config,
                                          std::vector<Listener>& reusable,
                                          std::vector<Listener>* unused);
// Wraps inherited listening fds, each named by the address it is bound to: `fds` from an
// old master (those also in `systemd_fds` came to it from systemd), then the rest of
// `systemd_fds`, marked from_systemd.
std::vector<Listener> adopt_listeners(const std::vector<int>& fds,
                                      const std::vector<int>& systemd_fds = {});
std::vector<int> listener_fds(const std::vector<Listener>& listeners);
// The listeners as the serving processes see them: fd and proxy_protocol.
std::vector<session::ListeningSocket> listening_sockets(const std::vector<Listener>& listeners);
std::vector<int> systemd_listener_fds(const std::vector<Listener>& listeners);
// Stops the sockets themselves from listening, in every process that shares them: a
// prefork worker busy with a request still holds the listeners until it finishes, and
// closing the master's copies alone would leave new connections queued behind it. They
// are refused instead, and those already queued are reset. systemd's sockets are left
// listening: systemd holds them too and starts the service again for what queues there.
void stop_listening(const std::vector<Listener>& listeners);
// The socket files of `listen`'s unix addresses that forkd removes at exit: all but those
// of systemd's sockets among `listeners`.
std::vector<std::string> socket_files_to_remove(const config::Config& config,
                                                const std::vector<Listener>& listeners);
void remove_socket_files(const std::vector<std::string>& paths);

}  // namespace forkd::master
