// Processes: fork, the child's first steps, reaping and stopping.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace forkd::os {

// Exit code of a child that failed its own start (bad setup only it could detect): the
// master does not respawn it in a loop. nginx uses 2 for the same purpose.
inline constexpr int kFatalExitCode = 2;

// fork(2); throws std::runtime_error when the kernel refuses (EAGAIN, ENOMEM).
pid_t fork_process();

// The child's first steps after fork: its own process group (a terminal's Ctrl-C reaches only
// the master, and the master can stop the child together with anything it started), and
// death with the parent (PR_SET_PDEATHSIG; if the parent died before that, exit now).
void detach_into_own_group_and_die_with(pid_t parent);

// Ends a forked child with _exit(code): the parent's exit handlers and destructors are not
// the child's to run. In a LeakSanitizer build (make test-asan) it first makes the leak
// check that exit() would have made, so a child's leaks are reported as the master's are.
[[noreturn]] void exit_child(int code);

// Makes the calling process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER).
void become_subreaper();

struct ExitedChild {
    pid_t pid;
    int status;  // as waitpid(2) reports it
};
// One child that has exited, without waiting (waitpid(-1, WNOHANG)); nothing when none has.
// Allocates nothing: fork mode's master reaps a child per connection.
std::optional<ExitedChild> reap_child();
// Every child that has exited, without waiting (reap_child until none is left).
std::vector<ExitedChild> reap_children();

// "exited with code 0", "killed by SIGSEGV (signal 11) (core dumped)".
std::string describe_exit(int status);
bool exited_fatally(int status);  // exit code kFatalExitCode

// Replaces the calling (freshly forked) process with `path` run with `arguments`, keeping
// `inherited_fds` open and naming them in the environment variable `fds_variable` ("3,4").
// Signal state is reset first. Returns only if execv(2) failed.
void exec_with_fds(const std::string& path, const std::vector<std::string>& arguments,
                   const std::vector<int>& inherited_fds, const char* fds_variable);
// The fds named in `fds_variable` by exec_with_fds, made close-on-exec again; the variable
// is removed so that this process's own children do not see it.
std::vector<int> take_inherited_fds(const char* fds_variable);

// kill(2): true when sent; errno says why not.
bool send_signal(pid_t pid, int signal);
// The parent's half of putting a new child in a process group of its own (setpgid): the
// child does it too, and whichever runs first wins the race.
void put_in_own_group(pid_t child);

// The pids of this process's live children (read from /proc/self/task/*/children).
std::vector<pid_t> own_children();

// Sends `signal` to the child's process group (and so to anything it started).
void signal_group(pid_t child, int signal);

}  // namespace forkd::os
