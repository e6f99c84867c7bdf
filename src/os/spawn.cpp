#include "os/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>

#include "os/request_guard.hpp"

namespace forkd::os {
namespace {

[[noreturn]] void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

struct Pipe {
    Fd read_end;
    Fd write_end;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
    Pipe made{Fd(fds[0]), Fd(fds[1])};
    ::fcntl(made.read_end.get(), F_SETFL, O_NONBLOCK);  // the server polls it
    return made;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& text : strings)
        pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Everything the vforked child reads, prepared before the fork: it may not allocate.
struct ChildPlan {
    const char* path;
    char* const* argv;
    char* const* envp;
    const char* directory;  // nullptr: unchanged
    int stdin_fd;           // -1: /dev/null
    int stdout_fd;
    int stderr_fd;
    const ResourceLimit* limits;
    std::size_t limit_count;
    pid_t parent;
    bool new_session;
};

// The child's steps between vfork and exec: system calls only, on memory it shares with the
// parent (which is suspended until the exec). Its errno reaches the parent in *error.
[[noreturn]] void become_program(const ChildPlan& plan, volatile int* error) {
    // Signals the server catches would run its handlers here; put every one back to default,
    // then unblock them all (the parent blocked them around the vfork).
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal)
        ::sigaction(signal, &default_action, nullptr);  // EINVAL for KILL, STOP: harmless
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    auto give_up = [error] {
        *error = errno;
        ::_exit(127);
    };
    if ((plan.new_session ? ::setsid() : ::setpgid(0, 0)) < 0) give_up();
    // Published from here, before the exec, so that no moment exists when the group runs
    // and a dying worker's master could not know of it. (The variable it sets is the
    // parent's own: a vforked child shares its memory.)
    set_child_group(::getpid());
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != plan.parent) ::_exit(127);  // the worker died already
    for (std::size_t i = 0; i < plan.limit_count; ++i) {
        rlimit limit{plan.limits[i].value, plan.limits[i].value};
        if (::setrlimit(plan.limits[i].resource, &limit) != 0) give_up();
    }
    int input = plan.stdin_fd >= 0 ? plan.stdin_fd : ::open("/dev/null", O_RDONLY);
    if (input < 0) give_up();
    // The pipes' ends and the body's file are all above 2 (0-2 are the server's own), so
    // none of these dup2s clobbers a descriptor a later one needs.
    if (::dup2(input, 0) < 0 || ::dup2(plan.stdout_fd, 1) < 0 || ::dup2(plan.stderr_fd, 2) < 0)
        give_up();
    if (plan.directory != nullptr && ::chdir(plan.directory) != 0) give_up();
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execve(plan.path, plan.argv, plan.envp);
    give_up();
    __builtin_unreachable();
}

}  // namespace

StartedProgram start_program(const ProgramSpec& spec) {
    std::vector<std::string> arguments = spec.arguments;
    std::vector<std::string> environment = spec.environment;
    std::vector<char*> argv = pointers_to(arguments);
    std::vector<char*> envp = pointers_to(environment);
    Pipe output;
    if (spec.discard_output) {
        output.write_end = Fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        if (!output.write_end) fail("open /dev/null");
    } else {
        output = make_pipe();
    }
    Pipe errors = make_pipe();
    ChildPlan plan{spec.path.c_str(),
                   argv.data(),
                   envp.data(),
                   spec.directory.empty() ? nullptr : spec.directory.c_str(),
                   spec.stdin_fd,
                   output.write_end.get(),
                   errors.write_end.get(),
                   spec.limits.data(),
                   spec.limits.size(),
                   ::getpid(),
                   spec.new_session};

    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, &previous);
    volatile int child_error = 0;
    pid_t pid = ::vfork();
    if (pid == 0) become_program(plan, &child_error);
    int fork_error = errno;
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    if (pid < 0) throw std::system_error(fork_error, std::generic_category(), "vfork");
    if (child_error != 0) {
        set_child_group(0);
        reap(pid);
        throw std::system_error(child_error, std::generic_category(), "exec " + spec.path);
    }

    StartedProgram started;
    started.pid = pid;
    started.output = std::move(output.read_end);
    started.errors = std::move(errors.read_end);
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        int error = errno;
        signal_process_group(pid, SIGKILL);
        reap(pid);
        throw std::system_error(error, std::generic_category(), "pidfd_open");
    }
    ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    started.exited = Fd(pidfd);
    return started;
}

namespace {

std::array<pollfd, 4> program_watch(const StartedProgram& program, int client_fd) {
    return {{
        {program.output.get(), POLLIN, 0},
        {program.errors.get(), POLLIN, 0},
        {program.exited.get(), POLLIN, 0},
        {client_fd, POLLRDHUP, 0},
    }};
}

ProgramEvents events_of(const std::array<pollfd, 4>& watched) {
    ProgramEvents events;
    events.output = watched[0].revents != 0;
    events.errors = watched[1].revents != 0;
    events.exited = watched[2].revents != 0;
    events.client_gone = watched[3].revents != 0;
    return events;
}

}  // namespace

ProgramEvents wait_for_program(const StartedProgram& program, int client_fd,
                               std::chrono::steady_clock::time_point deadline) {
    std::array<pollfd, 4> watched = program_watch(program, client_fd);
    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ProgramEvents events;
            events.timed_out = true;
            return events;
        }
        int timeout = static_cast<int>(std::min<std::int64_t>(left.count(), 60'000));
        int ready = ::poll(watched.data(), watched.size(), timeout);  // fds of -1 are skipped
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;  // an error is retried until the deadline
        return events_of(watched);
    }
}

ProgramEvents program_events_now(const StartedProgram& program, int client_fd) {
    std::array<pollfd, 4> watched = program_watch(program, client_fd);
    if (::poll(watched.data(), watched.size(), 0) <= 0) return ProgramEvents{};
    return events_of(watched);
}

bool wait_for_exit(int exited, std::chrono::steady_clock::time_point deadline) {
    pollfd watched{exited, POLLIN, 0};
    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
        int timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
        int ready = ::poll(&watched, 1, timeout);
        if (ready > 0) return true;
        if (ready < 0 && errno == EINTR) continue;
        if (left.count() <= 0) return false;
    }
}

bool signal_process_group(pid_t group, int signal) {
    if (group <= 0) return false;
    return ::kill(-group, signal) == 0;
}

int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return 0;
    }
    return status;
}

}  // namespace forkd::os
