#include "os/request_guard.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>

namespace forkd::os {
namespace {

// Read by the signal handlers: plain sig_atomic_t, set only by the serving code.
volatile sig_atomic_t g_client_fd = -1;
volatile sig_atomic_t g_answer = 1;
volatile sig_atomic_t g_response_started = 0;
volatile sig_atomic_t g_child_group = 0;
void (*g_child_group_observer)(pid_t) = nullptr;
// The timer is armed lazily: setitimer twice per request (arm, disarm) was a fifth of a
// fast request's system calls. The current request's deadline (CLOCK_MONOTONIC ms, 0
// between requests) is what counts; a timer left over from an earlier request fires early,
// and the handler re-arms it for the time that is left, or lets it lapse when idle.
std::atomic<int64_t> g_deadline_ms{0};
volatile sig_atomic_t g_timer_armed = 0;
static_assert(std::atomic<int64_t>::is_always_lock_free, "read by a signal handler");

constexpr char k502[] =
    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 40\r\nConnection: close\r\n\r\n"
    "The worker serving this request failed.\n";
constexpr char k504[] =
    "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 46\r\nConnection: close\r\n\r\n"
    "The request took longer than request_timeout.\n";

// What the handlers send: the built-in answers, or the app's (set before any fork).
std::string_view g_answer_502(k502, sizeof k502 - 1);
std::string_view g_answer_504(k504, sizeof k504 - 1);

void answer_if_nothing_sent(std::string_view response) {
    const char* bytes = response.data();
    std::size_t length = response.size();
    int fd = g_client_fd;
    if (fd < 0 || !g_answer || g_response_started) return;
    ssize_t written = ::send(fd, bytes, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    static_cast<void>(written);
}

void kill_child_group() {
    pid_t group = g_child_group;
    if (group > 0) ::kill(-group, SIGKILL);
}

int64_t monotonic_ms() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
    return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

void set_interval_timer(std::chrono::milliseconds timeout) {
    itimerval timer{};
    timer.it_value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    timer.it_value.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setitimer(ITIMER_REAL, &timer, nullptr);
}

void on_timeout(int) {
    g_timer_armed = 0;
    int64_t deadline = g_deadline_ms.load();
    if (deadline == 0) return;  // between requests: the next one arms it again
    int64_t left = deadline - monotonic_ms();
    if (left > 0) {  // armed for an earlier request: wait for this one's deadline
        g_timer_armed = 1;
        set_interval_timer(std::chrono::milliseconds(left));
        return;
    }
    kill_child_group();
    answer_if_nothing_sent(g_answer_504);
    ::_exit(kRequestTimeoutExitCode);
}

void on_fatal_signal(int signal) {
    kill_child_group();
    ::raise(signal);  // SA_RESETHAND: the default action now
}

void on_crash(int signal) {
    kill_child_group();
    answer_if_nothing_sent(g_answer_502);
    // SA_RESETHAND restored the default action: die of the same signal, core dump included.
    ::raise(signal);
}

}  // namespace

void set_guard_answers(std::string answer_502, std::string answer_504) {
    static std::string kept_502;
    static std::string kept_504;
    kept_502 = std::move(answer_502);
    kept_504 = std::move(answer_504);
    g_answer_502 = kept_502;
    g_answer_504 = kept_504;
}

void install_crash_guard() {
    static bool installed = false;  // in this process or, inherited, in the one it forked from
    if (installed) return;
    installed = true;
    static char alternate_stack[64 * 1024];
    stack_t stack{};
    stack.ss_sp = alternate_stack;
    stack.ss_size = sizeof alternate_stack;
    ::sigaltstack(&stack, nullptr);

    struct sigaction action {};
    action.sa_handler = on_crash;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK | SA_RESETHAND;
    for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
        ::sigaction(signal, &action, nullptr);

    struct sigaction timeout {};
    timeout.sa_handler = on_timeout;
    sigemptyset(&timeout.sa_mask);
    ::sigaction(SIGALRM, &timeout, nullptr);
}

void begin_guarded_request(int client_fd, std::chrono::milliseconds timeout, bool answer) {
    g_response_started = 0;
    g_answer = answer ? 1 : 0;
    g_client_fd = client_fd;
    if (timeout.count() <= 0) return;
    // The deadline first: a handler running between the two lines then sees it and re-arms.
    g_deadline_ms.store(monotonic_ms() + timeout.count());
    if (!g_timer_armed) {
        g_timer_armed = 1;
        set_interval_timer(timeout);
    }
}

void note_response_started() {
    g_response_started = 1;
}

void end_guarded_request() {
    g_deadline_ms.store(0);  // the timer, if it fires now, lapses
    g_client_fd = -1;
}

int guarded_client_fd() {
    return g_client_fd;
}

void set_child_group(pid_t group) {
    g_child_group = group;
    if (g_child_group_observer != nullptr) g_child_group_observer(group);
}

void observe_child_group(void (*observer)(pid_t group)) {
    g_child_group_observer = observer;
}

void end_child_group_on(int signal) {
    struct sigaction action {};
    action.sa_handler = on_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    ::sigaction(signal, &action, nullptr);
}

}  // namespace forkd::os
