#include "os/process.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

#include "os/signals.hpp"

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

void become_subreaper() {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

std::vector<ExitedChild> reap_children() {
    std::vector<ExitedChild> exited;
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            exited.push_back({pid, status});
            continue;
        }
        if (pid < 0 && errno == EINTR) continue;
        return exited;  // 0: children remain but none has exited; ECHILD: no children
    }
}

std::string describe_exit(int status) {
    if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        std::string text = std::string("killed by SIG") + signal_name(WTERMSIG(status));
        if (WCOREDUMP(status)) text += " (core dumped)";
        return text;
    }
    return "status " + std::to_string(status);
}

bool exited_fatally(int status) {
    return WIFEXITED(status) && WEXITSTATUS(status) == kFatalExitCode;
}

void signal_group(pid_t child, int signal) {
    if (::kill(-child, signal) != 0) ::kill(child, signal);  // not yet in its own group
}

}  // namespace forkd::os
