// The listening sockets of a server, opened once by the process that starts it and
// inherited by every child that accepts.
#pragma once

#include <string>
#include <vector>

#include "base/fd.hpp"
#include "config/config.hpp"

namespace forkd::master {

struct Listener {
    Fd fd;
    std::string address;  // what it is bound to: "127.0.0.1:41234" even for port 0
};

// The environment variable that names the listeners a binary upgrade hands over.
inline constexpr const char* kInheritedListenersVariable = "FORKD_LISTEN_FDS";

// Listeners for every `listen` address: an already open one bound to the same address (for
// a port-0 address, any one on its host) is kept (`reusable`: the running set on a reload,
// or those inherited from an old master or systemd), any other address is opened; reusable ones no
// address wants are returned in `unused`. Throws std::runtime_error naming the first address that
// fails.
std::vector<Listener> open_listeners(const config::Config& config,
                                     std::vector<Listener> reusable = {},
                                     std::vector<Listener>* unused = nullptr);
// The same for a reload: takes from `reusable` what it keeps; when an address fails,
// `reusable` holds every socket it held before, so the running set stays whole.
std::vector<Listener> open_listeners_from(const config::Config& config,
                                          std::vector<Listener>& reusable,
                                          std::vector<Listener>* unused);
// Wraps inherited listening fds, each named by the address it is bound to.
std::vector<Listener> adopt_listeners(const std::vector<int>& fds);
std::vector<int> listener_fds(const std::vector<Listener>& listeners);
// Stops the sockets themselves from listening, in every process that shares them: a
// prefork worker busy with a request still holds the listeners until it finishes, and
// closing the master's copies alone would leave new connections queued behind it. They
// are refused instead, and those already queued are reset.
void stop_listening(const std::vector<Listener>& listeners);
// Removes the socket files of unix listeners (at exit).
void remove_unix_socket_files(const config::Config& config);

}  // namespace forkd::master
