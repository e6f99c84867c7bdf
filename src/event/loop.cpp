#include "event/loop.hpp"

#include <array>

#include "os/epoll.hpp"

namespace forkd::event {

Loop::Loop() : epoll_(os::epoll_create()) {}

void Loop::add(int fd, uint32_t events, Callback callback) {
    os::epoll_add(epoll_.get(), fd, events, static_cast<uint64_t>(fd));
    watches_[fd] = Watch{events, std::move(callback)};
}

void Loop::modify(int fd, uint32_t events) {
    auto found = watches_.find(fd);
    if (found != watches_.end()) {
        if (found->second.events == events) return;
        found->second.events = events;
    }
    os::epoll_modify(epoll_.get(), fd, events, static_cast<uint64_t>(fd));
}

void Loop::remove(int fd) {
    if (watches_.erase(fd) > 0) os::epoll_remove(epoll_.get(), fd);
}

void Loop::close_in_child() {
    epoll_.reset();
    watches_.clear();
}

void Loop::run_once(std::chrono::milliseconds timeout, const sigset_t* mask) {
    std::array<epoll_event, 64> events;  // filled by the wait, as far as `count`
    int count = os::epoll_wait_for(epoll_.get(), events, timeout, mask);
    woke_at_ = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        auto fd = static_cast<int>(events[static_cast<std::size_t>(i)].data.u64);
        auto found = watches_.find(fd);
        if (found == watches_.end()) continue;       // removed by an earlier callback
        Callback callback = found->second.callback;  // a copy: the callback may remove itself
        callback(events[static_cast<std::size_t>(i)].events);
    }
}

}  // namespace forkd::event
