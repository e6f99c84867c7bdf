#include "worker/serve_loop.hpp"

#include <array>
#include <chrono>

#include "base/log.hpp"
#include "os/epoll.hpp"
#include "os/signals.hpp"
#include "os/socket.hpp"

namespace forkd::worker {
namespace {

void reopen_logs_if_asked(const session::Services& services) {
    if (!os::take_reopen_request()) return;
    log::reopen();
    services.access_log.reopen();
}

}  // namespace

void serve_until_stopped(std::span<const session::ListeningSocket> listeners,
                         const session::Services& services, StatusReporter& status,
                         int max_connections) {
    Fd epoll = os::epoll_create();
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        os::epoll_add(epoll.get(), listeners[i].fd, EPOLLIN | EPOLLEXCLUSIVE, i);
    }
    int served = 0;
    std::array<epoll_event, 8> ready{};
    status.idle();
    while (!os::stop_requested()) {
        reopen_logs_if_asked(services);
        // Signals are unblocked only inside this wait (and the session's idle waits).
        int count =
            os::epoll_wait_for(epoll.get(), ready, std::chrono::milliseconds(-1), os::wait_mask());
        // Every connection the kernel woke this worker for is served, even if a stop came
        // meanwhile: with EPOLLEXCLUSIVE no other worker was woken for it, so one left in
        // the queue would wait for the next arrival (a retiring worker at a reload or
        // upgrade stalled clients so). A stopping master has shut the listeners already,
        // so accept finds nothing then.
        for (int i = 0; i < count; ++i) {
            const session::ListeningSocket& listener =
                listeners[ready[static_cast<std::size_t>(i)].data.u64];
            std::optional<os::Accepted> accepted = os::accept_connection(listener.fd);
            if (!accepted) continue;  // another worker was faster
            status.connection_accepted();
            session::serve_connection(std::move(accepted->fd), accepted->peer, services,
                                      listener.proxy_protocol);
            status.idle();
            if (max_connections > 0 && ++served >= max_connections) return;
        }
    }
}

}  // namespace forkd::worker
