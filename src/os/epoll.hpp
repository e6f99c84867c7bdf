// epoll(7) and timerfd(2), thinly wrapped: the syscalls under event::Loop.
#pragma once

#include <signal.h>
#include <sys/epoll.h>

#include <chrono>
#include <span>

#include "base/fd.hpp"

namespace forkd::os {

Fd epoll_create();
void epoll_add(int epoll_fd, int fd, uint32_t events, uint64_t key);
void epoll_modify(int epoll_fd, int fd, uint32_t events, uint64_t key);
void epoll_remove(int epoll_fd, int fd);
// Waits up to `timeout` (negative: forever) with `mask` in force while waiting (nullptr:
// the current mask). Returns the number of events filled in; 0 on timeout or EINTR.
int epoll_wait_for(int epoll_fd, std::span<epoll_event> events, std::chrono::milliseconds timeout,
                   const sigset_t* mask);

// A periodic timer fd (CLOCK_MONOTONIC, non-blocking): readable every `interval`.
Fd periodic_timer(std::chrono::milliseconds interval);
// Reads the expiration count so the timer fd stops being readable.
void drain_timer(int timer_fd);

}  // namespace forkd::os
