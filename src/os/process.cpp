#include "os/process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "os/signals.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define FORKD_LEAK_CHECKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FORKD_LEAK_CHECKS 1
#endif
#endif
#ifdef FORKD_LEAK_CHECKS
#include <sanitizer/lsan_interface.h>
#endif

namespace forkd::os {

pid_t fork_process() {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    return pid;
}

void detach_into_own_group_and_die_with(pid_t parent) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died between fork() and prctl(): then nobody would ever kill us.
    if (::getppid() != parent) ::_exit(0);
}

void exit_child(int code) {
#ifdef FORKD_LEAK_CHECKS
    __lsan_do_leak_check();  // reports (and exits non-zero) on a leak; honours detect_leaks
#endif
    ::_exit(code);
}

void become_subreaper() {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

std::optional<ExitedChild> reap_child() {
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) return ExitedChild{pid, status};
        if (pid < 0 && errno == EINTR) continue;
        return std::nullopt;  // 0: children remain but none has exited; ECHILD: no children
    }
}

std::vector<ExitedChild> reap_children() {
    std::vector<ExitedChild> exited;
    while (std::optional<ExitedChild> child = reap_child())
        exited.push_back(*child);
    return exited;
}

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        std::string text = std::string("killed by SIG") + signal_name(WTERMSIG(status)) +
                           " (signal " + std::to_string(WTERMSIG(status)) + ")";
        if (WCOREDUMP(status)) text += " (core dumped)";
        return text;
    }
    return "status " + std::to_string(status);
}

bool exited_fatally(int status) {
    return WIFEXITED(status) && WEXITSTATUS(status) == kFatalExitCode;
}

void exec_with_fds(const std::string& path, const std::vector<std::string>& arguments,
                   const std::vector<int>& inherited_fds, const char* fds_variable) {
    std::string names;
    for (int fd : inherited_fds) {
        ::fcntl(fd, F_SETFD, 0);  // survive the exec
        if (!names.empty()) names += ',';
        names += std::to_string(fd);
    }
    ::setenv(fds_variable, names.c_str(), 1);
    reset_signal_state();
    std::vector<char*> argv;
    for (const std::string& argument : arguments)
        argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
}

std::vector<int> take_inherited_fds(const char* fds_variable) {
    std::vector<int> fds;
    const char* names = ::getenv(fds_variable);
    if (names == nullptr) return fds;
    std::string text = names;
    ::unsetenv(fds_variable);
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t comma = text.find(',', start);
        std::string name = text.substr(start, comma - start);
        int fd = std::atoi(name.c_str());
        if (fd > 2 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0) fds.push_back(fd);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return fds;
}

bool send_signal(pid_t pid, int signal) {
    return ::kill(pid, signal) == 0;
}

void put_in_own_group(pid_t child) {
    ::setpgid(child, child);
}

std::vector<pid_t> own_children() {
    std::vector<pid_t> children;
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
        std::ifstream list(task.path() / "children");
        pid_t pid = 0;
        while (list >> pid)
            children.push_back(pid);
    }
    return children;
}

void signal_group(pid_t child, int signal) {
    if (::kill(-child, signal) != 0) ::kill(child, signal);  // not yet in its own group
}

}  // namespace forkd::os
