#include "event/loop.hpp"

#include <array>

#include "os/epoll.hpp"

namespace forkd::event {

Loop::Loop() : epoll_(os::epoll_create()) {}

void Loop::add(int fd, uint32_t events, Callback callback) {
    os::epoll_add(epoll_.get(), fd, events, static_cast<uint64_t>(fd));
    retire_if_running(fd);
    auto slot = static_cast<std::size_t>(fd);
    if (slot >= watches_.size()) watches_.resize(slot + 1);
    watches_[slot] = std::make_unique<Watch>(Watch{events, std::move(callback)});
}

void Loop::modify(int fd, uint32_t events) {
    if (Watch* watch = find(fd); watch != nullptr) {
        if (watch->events == events) return;
        watch->events = events;
    }
    os::epoll_modify(epoll_.get(), fd, events, static_cast<uint64_t>(fd));
}

void Loop::remove(int fd) {
    if (erase(fd)) os::epoll_remove(epoll_.get(), fd);
}

bool Loop::erase(int fd) {
    if (find(fd) == nullptr) return false;
    retire_if_running(fd);
    watches_[static_cast<std::size_t>(fd)].reset();
    return true;
}

void Loop::retire_if_running(int fd) {
    if (fd != running_ || find(fd) == nullptr) return;
    retired_ = std::move(watches_[static_cast<std::size_t>(fd)]);
    running_ = -1;  // whatever watches `fd` from now on is not the callback running
}

void Loop::close_in_child() {
    epoll_.reset();
}

void Loop::run_once(std::chrono::milliseconds timeout, const sigset_t* mask) {
    std::array<epoll_event, 64> events;  // filled by the wait, as far as `count`
    int count = os::epoll_wait_for(epoll_.get(), events, timeout, mask);
    woke_at_ = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        auto fd = static_cast<int>(events[static_cast<std::size_t>(i)].data.u64);
        Watch* watch = find(fd);
        if (watch == nullptr) continue;  // removed by an earlier callback
        running_ = fd;
        watch->callback(events[static_cast<std::size_t>(i)].events);
        running_ = -1;
        retired_.reset();  // a callback that removed or replaced itself ends here
    }
}

}  // namespace forkd::event
