#include "os/signals.hpp"

#include <pthread.h>
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

// The signals whose disposition the master found changed (note_master_signal_state) and
// did not set to the serving one itself, valid in the master and in a child just forked
// from it; without that note, all of them.
int g_master_changed[NSIG];
int g_master_changed_count = 0;
bool g_master_noted = false;
// The mask a serving process works with; made by the master for its children, so that a
// child calls nothing of libc's signal-set family (one more 64 KiB window of code to fault
// in, which none of its other calls share).
sigset_t g_serving_mask;

// The signals a serving process ignores, handles, and blocks outside its waits.
constexpr int kServingIgnored[] = {SIGPIPE, SIGHUP, SIGUSR2, SIGWINCH, SIGTTIN, SIGTTOU};
constexpr int kServingHandled[] = {SIGTERM, SIGQUIT, SIGUSR1};

void reset_dispositions() {
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        set_action(signal, SIG_DFL);
    }
}

void set_serving_dispositions() {
    set_action(SIGINT, SIG_DFL);
    for (int signal : kServingIgnored)
        set_action(signal, SIG_IGN);
    set_action(SIGTERM, record_stop);
    set_action(SIGQUIT, record_stop);
    set_action(SIGUSR1, record_reopen);
}

bool is_serving_signal(int signal) {
    auto in = [signal](const auto& list) {
        for (int member : list)
            if (member == signal) return true;
        return false;
    };
    return signal == SIGINT || in(kServingIgnored) || in(kServingHandled);
}

void make_serving_masks() {
    sigemptyset(&g_serving_mask);
    for (int signal : kServingHandled)
        sigaddset(&g_serving_mask, signal);
    sigemptyset(&g_wait_mask);  // while waiting, nothing is blocked
}

// How often a busy process looks for signals left pending (collect_pending_signals). A
// graceful stop or a log reopen starts this much later at most, under load only.
constexpr std::chrono::milliseconds kPendingCheck{10};
// When a serving process looks next.
std::chrono::steady_clock::time_point g_next_pending_check{};

// CLOCK_MONOTONIC as steady_clock reads it, only coarser (the last tick): a vDSO read
// without the hardware counter.
std::chrono::steady_clock::time_point coarse_now() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return std::chrono::steady_clock::time_point(std::chrono::seconds(now.tv_sec) +
                                                 std::chrono::nanoseconds(now.tv_nsec));
}

}  // namespace

// Every signal the master sets here is one of those it blocks for good and reads from its
// signalfd: a handler of them never runs in the master, and Linux queues a blocked signal
// even when it is ignored, so the master reads them as before. Setting SIG_IGN discards
// one already pending, though (POSIX): such a signal, sent while the master started, is
// raised again, and stays queued for the signalfd.
void note_master_signal_state() {
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    g_master_changed_count = 0;
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction current {};
        if (::sigaction(signal, nullptr, &current) != 0) continue;  // KILL, STOP, glibc's own
        if (current.sa_handler != SIG_DFL && !is_serving_signal(signal))
            g_master_changed[g_master_changed_count++] = signal;
    }
    set_serving_dispositions();
    for (int signal : kServingIgnored) {
        if (sigismember(&pending, signal) == 1) ::raise(signal);
    }
    make_serving_masks();
    g_master_noted = true;
}

void reset_signal_state() {
    reset_dispositions();
    g_has_wait_mask = false;
    g_stop = 0;
    g_reopen = 0;
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Handlers first, mask last: a signal the master sent a child before it was ready (blocked
// since the fork, e.g. the SIGUSR1 of a log reopen) then reaches its handler. Unblocking
// in between delivered it to SIG_DFL, which killed the child and reset its connection.
void enter_serving_signal_state() {
    if (g_master_noted) {
        // A child of the master inherited the serving dispositions and masks
        // (note_master_signal_state) and resets only what else the master had changed,
        // usually nothing: one system call per signal was 60 of the 100 a fork-mode
        // connection cost (master and child), and the serving ones with the crash guard's
        // (os/request_guard.hpp) 16 to 18 of the 43 left.
        for (int i = 0; i < g_master_changed_count; ++i)
            set_action(g_master_changed[i], SIG_DFL);
        g_master_noted = false;
    } else {
        reset_dispositions();
        set_serving_dispositions();
        make_serving_masks();
    }
    g_stop = 0;
    g_reopen = 0;
    // pthread_sigmask, which sigprocmask calls, and is the same for a process of one
    // thread: sigprocmask's code would be one more window for a child to fault in.
    ::pthread_sigmask(SIG_SETMASK, &g_serving_mask, nullptr);
    g_has_wait_mask = true;
    // The first look for pending signals comes one interval after the start, like every
    // later one: a signal sent since the fork is still seen then, or at the first wait,
    // which unblocks it. A child that serves one request and exits makes no such call.
    g_next_pending_check = coarse_now() + kPendingCheck;
}

namespace {

// A serving process blocks its signals outside its waits, so one that arrives while it
// works stays pending, not recorded; and it may stay pending through the next wait too,
// since epoll_pwait and ppoll that return ready fds restore the mask without delivering
// it: under steady load, for good. So pending ones are taken here (sigtimedwait with no
// wait) and recorded as their handlers would. At most every 10 ms: this is asked several
// times per request, and a system call each time was a few percent of a fast request.
void collect_pending_signals(std::chrono::steady_clock::time_point now) {
    if (!g_has_wait_mask) return;  // not serving: the master reads its signals from a signalfd
    if (now < g_next_pending_check) return;
    g_next_pending_check = now + kPendingCheck;
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
