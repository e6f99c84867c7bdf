// The loop of a process that accepts and serves one connection at a time: the single-mode
// process and each prefork worker. It waits on every listener at once (epoll, with
// EPOLLEXCLUSIVE so that one idle worker, not all, wakes for a new connection), serves the
// connection to its end, and goes back to waiting, until a graceful stop is requested.
#pragma once

#include <span>

#include "session/connection.hpp"
#include "worker/status_reporter.hpp"

namespace forkd::worker {

// Precondition: os::enter_serving_signal_state() was called, the listeners are
// non-blocking. Returns when a stop was requested (never in the middle of a request) or
// `max_connections` (0: no limit) connections have been served.
void serve_until_stopped(std::span<const session::ListeningSocket> listeners,
                         const session::Services& services, StatusReporter& status,
                         int max_connections = 0);

}  // namespace forkd::worker
