#include "os/signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

void reset_dispositions() {
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        set_action(signal, SIG_DFL);
    }
    g_has_wait_mask = false;
    g_stop = 0;
    g_reopen = 0;
}

}  // namespace

void reset_signal_state() {
    reset_dispositions();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Handlers first, mask last: a signal the master sent a child before it was ready (blocked
// since the fork, e.g. the SIGUSR1 of a log reopen) then reaches its handler. Unblocking
// in between delivered it to SIG_DFL, which killed the child and reset its connection.
void enter_serving_signal_state() {
    reset_dispositions();
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

bool stop_requested() {
    if (g_stop) return true;
    // A stop signal that arrived while blocked is pending, not yet recorded; and it may stay
    // pending through a wait, since epoll_pwait and ppoll that return ready fds restore the
    // mask without delivering it. So ask the kernel.
    sigset_t pending;
    ::sigpending(&pending);
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGQUIT) == 1;
}

void request_stop() {
    g_stop = 1;
}

bool take_reopen_request() {
    if (!g_reopen) return false;
    g_reopen = 0;
    return true;
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

std::vector<int> read_signals(int signal_fd) {
    std::vector<int> signals;
    signalfd_siginfo info{};
    while (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        signals.push_back(static_cast<int>(info.ssi_signo));
    }
    return signals;
}

const char* signal_name(int signal) {
    const char* name = sigabbrev_np(signal);
    return name != nullptr ? name : "?";
}

}  // namespace forkd::os
