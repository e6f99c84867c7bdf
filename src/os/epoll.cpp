#include "os/epoll.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace forkd::os {
namespace {

[[noreturn]] void fail(const char* call) {
    throw std::runtime_error(std::string(call) + ": " + std::strerror(errno));
}

void control(int epoll_fd, int operation, int fd, uint32_t events, uint64_t key) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = key;
    if (::epoll_ctl(epoll_fd, operation, fd, &event) != 0) fail("epoll_ctl");
}

}  // namespace

Fd epoll_create() {
    Fd fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!fd) fail("epoll_create1");
    return fd;
}

void epoll_add(int epoll_fd, int fd, uint32_t events, uint64_t key) {
    control(epoll_fd, EPOLL_CTL_ADD, fd, events, key);
}

void epoll_modify(int epoll_fd, int fd, uint32_t events, uint64_t key) {
    control(epoll_fd, EPOLL_CTL_MOD, fd, events, key);
}

void epoll_remove(int epoll_fd, int fd) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
}

int epoll_wait_for(int epoll_fd, std::span<epoll_event> events, std::chrono::milliseconds timeout,
                   const sigset_t* mask) {
    int count = ::epoll_pwait(epoll_fd, events.data(), static_cast<int>(events.size()),
                              static_cast<int>(timeout.count()), mask);
    if (count < 0) {
        if (errno == EINTR) return 0;
        fail("epoll_pwait");
    }
    return count;
}

Fd periodic_timer(std::chrono::milliseconds interval) {
    Fd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!fd) fail("timerfd_create");
    itimerspec spec{};
    spec.it_interval.tv_sec = interval.count() / 1000;
    spec.it_interval.tv_nsec = (interval.count() % 1000) * 1000000;
    spec.it_value = spec.it_interval;
    if (::timerfd_settime(fd.get(), 0, &spec, nullptr) != 0) fail("timerfd_settime");
    return fd;
}

void drain_timer(int timer_fd) {
    uint64_t expirations = 0;
    while (::read(timer_fd, &expirations, sizeof expirations) > 0) {
    }
}

}  // namespace forkd::os
