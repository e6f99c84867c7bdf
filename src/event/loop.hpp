// The event loop: epoll over fds with one callback each. Small on purpose (redis's ae is the
// model): the master's supervision loop and the io workers of hybrid mode run on it.
// Single-threaded; callbacks may add and remove fds, including their own.
#pragma once

#include <signal.h>
#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/fd.hpp"

namespace forkd::event {

class Loop {
  public:
    using Callback = std::function<void(uint32_t events)>;

    Loop();

    // Watches `fd` (owned by the caller, who removes it before closing it) for `events`
    // (EPOLLIN, EPOLLOUT, ...).
    void add(int fd, uint32_t events, Callback callback);
    // Changes what `fd` is watched for; no system call when that is what it is watched for
    // already (an io worker re-arms EPOLLIN after every keep-alive response).
    void modify(int fd, uint32_t events);
    void remove(int fd);
    // Forgets `fd` without a system call, for an fd about to be closed that no other process
    // holds: closing the last reference to a file takes it out of the epoll set anyway.
    // (Another holder would keep the registration, and its events, alive.)
    void forget(int fd) { erase(fd); }
    bool watches(int fd) const { return find(fd) != nullptr; }
    // In a forked child that will never run this loop (it leaves with _exit): closes the
    // epoll fd. The watches are left as they are, unused: freeing them would write to heap
    // pages the child shares with its parent, a page copied for each (fork mode: per
    // connection).
    void close_in_child();

    // Waits up to `timeout` for events, with `mask` in force while waiting, and runs the
    // callbacks of the ready fds.
    void run_once(std::chrono::milliseconds timeout, const sigset_t* mask = nullptr);
    // When the last wait returned: one reading of the clock that a turn's callbacks, and the
    // steps run right after them, share for deadlines that need no finer time (as nginx
    // reads the time once per turn). Durations worth reporting read the clock themselves.
    std::chrono::steady_clock::time_point woke_at() const { return woke_at_; }

  private:
    struct Watch {
        uint32_t events;
        Callback callback;
    };
    Watch* find(int fd) const {
        auto slot = static_cast<std::size_t>(fd);
        return fd >= 0 && slot < watches_.size() ? watches_[slot].get() : nullptr;
    }
    // Takes `fd` out of `watches_`; returns whether it was there.
    bool erase(int fd);
    // Keeps the callback running now alive when its own watch is dropped or replaced.
    void retire_if_running(int fd);

    Fd epoll_;
    // By fd (fds are small and dense: an index, not a hash, per event and per change);
    // null where none. Each watch is allocated on its own, so that it stays where it is
    // while the vector grows under a running callback.
    std::vector<std::unique_ptr<Watch>> watches_;
    // The fd whose callback runs now (-1: none), and its watch once a call inside it
    // removed or replaced it: callbacks run in place, not from a copy per event, so one
    // that drops itself is destroyed only after it returns.
    int running_ = -1;
    std::unique_ptr<Watch> retired_;
    std::chrono::steady_clock::time_point woke_at_ = std::chrono::steady_clock::now();
};

}  // namespace forkd::event
