// The event loop: epoll over fds with one callback each. Small on purpose (redis's ae is the
// model): the master's supervision loop uses it now, the io workers of hybrid mode later.
// Single-threaded; callbacks may add and remove fds, including their own.
#pragma once

#include <signal.h>
#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "base/fd.hpp"

namespace forkd::event {

class Loop {
  public:
    using Callback = std::function<void(uint32_t events)>;

    Loop();

    // Watches `fd` (owned by the caller, who removes it before closing it) for `events`
    // (EPOLLIN, EPOLLOUT, ...).
    void add(int fd, uint32_t events, Callback callback);
    void modify(int fd, uint32_t events);
    void remove(int fd);
    bool watches(int fd) const { return callbacks_.contains(fd); }
    // In a forked child that will never run this loop: closes the epoll fd, forgets the rest.
    void close_in_child();

    // Waits up to `timeout` for events, with `mask` in force while waiting, and runs the
    // callbacks of the ready fds.
    void run_once(std::chrono::milliseconds timeout, const sigset_t* mask = nullptr);

  private:
    Fd epoll_;
    std::unordered_map<int, Callback> callbacks_;
};

}  // namespace forkd::event
