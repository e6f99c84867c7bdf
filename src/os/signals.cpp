#include "os/signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace forkd::os {
namespace {

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_reopen = 0;
sigset_t g_wait_mask;
bool g_has_wait_mask = false;

constexpr int kMasterSignals[] = {SIGCHLD, SIGTERM, SIGINT,  SIGQUIT,  SIGHUP, SIGUSR1,
                                  SIGUSR2, SIGTTIN, SIGTTOU, SIGWINCH, SIGPIPE};

void record_stop(int) {
    g_stop = 1;
}
void record_reopen(int) {
    g_reopen = 1;
}

void set_action(int signal, void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a wait returns EINTR and looks at the flag
    ::sigaction(signal, &action, nullptr);
}

}  // namespace

const sigset_t* wait_mask() {
    return g_has_wait_mask ? &g_wait_mask : nullptr;
}

namespace {

// The signals whose disposition the master found changed (note_master_signal_state), valid
// in the master and in a child just forked from it; without that note, all of them.
sigset_t g_master_changed;
bool g_master_noted = false;

void reset_dispositions(const sigset_t* only) {
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        if (only != nullptr && sigismember(only, signal) != 1) continue;
        set_action(signal, SIG_DFL);
    }
    g_has_wait_mask = false;
    g_stop = 0;
    g_reopen = 0;
}

}  // namespace

void note_master_signal_state() {
    sigemptyset(&g_master_changed);
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction current {};
        if (::sigaction(signal, nullptr, &current) != 0) continue;  // KILL, STOP, glibc's own
        if (current.sa_handler != SIG_DFL) sigaddset(&g_master_changed, signal);
    }
    g_master_noted = true;
}

void reset_signal_state() {
    reset_dispositions(nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Handlers first, mask last: a signal the master sent a child before it was ready (blocked
// since the fork, e.g. the SIGUSR1 of a log reopen) then reaches its handler. Unblocking
// in between delivered it to SIG_DFL, which killed the child and reset its connection.
void enter_serving_signal_state() {
    // A child of the master resets only what the master had changed: one system call per
    // signal was 60 of the 100 a fork-mode connection cost (master and child).
    reset_dispositions(g_master_noted ? &g_master_changed : nullptr);
    g_master_noted = false;
    set_action(SIGPIPE, SIG_IGN);
    for (int signal : {SIGHUP, SIGUSR2, SIGWINCH, SIGTTIN, SIGTTOU})
        set_action(signal, SIG_IGN);
    set_action(SIGTERM, record_stop);
    set_action(SIGQUIT, record_stop);
    set_action(SIGUSR1, record_reopen);

    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGQUIT);
    sigaddset(&blocked, SIGUSR1);
    ::sigprocmask(SIG_SETMASK, &blocked, nullptr);
    sigemptyset(&g_wait_mask);  // while waiting, nothing is blocked
    g_has_wait_mask = true;
}

namespace {

// How often a busy process looks for signals left pending (below). A graceful stop or a
// log reopen starts this much later at most, under load only.
constexpr std::chrono::milliseconds kPendingCheck{10};

// CLOCK_MONOTONIC as steady_clock reads it, only coarser (the last tick): a vDSO read
// without the hardware counter.
std::chrono::steady_clock::time_point coarse_now() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return std::chrono::steady_clock::time_point(std::chrono::seconds(now.tv_sec) +
                                                 std::chrono::nanoseconds(now.tv_nsec));
}

// A serving process blocks its signals outside its waits, so one that arrives while it
// works stays pending, not recorded; and it may stay pending through the next wait too,
// since epoll_pwait and ppoll that return ready fds restore the mask without delivering
// it: under steady load, for good. So pending ones are taken here (sigtimedwait with no
// wait) and recorded as their handlers would. At most every 10 ms: this is asked several
// times per request, and a system call each time was a few percent of a fast request.
void collect_pending_signals(std::chrono::steady_clock::time_point now) {
    if (!g_has_wait_mask) return;  // not serving: the master reads its signals from a signalfd
    static std::chrono::steady_clock::time_point next_check{};
    if (now < next_check) return;
    next_check = now + kPendingCheck;
    sigset_t serving;
    sigemptyset(&serving);
    for (int signal : {SIGTERM, SIGQUIT, SIGUSR1})
        sigaddset(&serving, signal);
    const timespec no_wait{};
    for (int signal; (signal = ::sigtimedwait(&serving, nullptr, &no_wait)) > 0;) {
        if (signal == SIGUSR1)
            g_reopen = 1;
        else
            g_stop = 1;
    }
}

}  // namespace

bool stop_requested() {
    if (g_stop) return true;
    collect_pending_signals(coarse_now());
    return g_stop != 0;
}

void request_stop() {
    g_stop = 1;
}

bool take_reopen_request() {
    collect_pending_signals(coarse_now());
    if (!g_reopen) return false;
    g_reopen = 0;
    return true;
}

ServingRequests take_serving_requests(std::chrono::steady_clock::time_point now) {
    collect_pending_signals(now);
    ServingRequests asked{.stop = g_stop != 0, .reopen = g_reopen != 0};
    g_reopen = 0;
    return asked;
}

void block_master_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int signal : kMasterSignals)
        sigaddset(&set, signal);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
}

Fd open_signalfd(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int signal : signals)
        sigaddset(&set, signal);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
        throw std::runtime_error(std::string("sigprocmask: ") + std::strerror(errno));
    }
    Fd fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd) throw std::runtime_error(std::string("signalfd: ") + std::strerror(errno));
    return fd;
}

std::optional<int> read_signal(int signal_fd) {
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info))
        return std::nullopt;
    return static_cast<int>(info.ssi_signo);
}

const char* signal_name(int signal) {
    const char* name = sigabbrev_np(signal);
    return name != nullptr ? name : "?";
}

}  // namespace forkd::os
