// Starting a program that a request runs (a CGI script), in a process group of its own, and
// ending that whole group.
//
// The program is started with vfork(2) and execve(2): the serving process's memory is never
// copied, whatever its size, and the child runs only system calls before the exec. It gets
// a new session (setsid: its own process group, no terminal), default signal handling, the
// resource limits asked for, death with its parent (PR_SET_PDEATHSIG), and no descriptor of
// the server's but its stdin, stdout and stderr (close_range), so a script can never write
// to another client's socket or a listener.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/fd.hpp"

namespace forkd::os {

struct ResourceLimit {
    int resource;  // RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC, RLIMIT_NOFILE, ...
    rlim_t value;  // soft and hard
};

struct ProgramSpec {
    std::string path;                      // what execve runs
    std::vector<std::string> arguments;    // argv, argv[0] included
    std::vector<std::string> environment;  // "NAME=value", the whole environment
    std::string directory;                 // the working directory ("" : unchanged)
    int stdin_fd = -1;                     // becomes fd 0 (read from its offset); -1: /dev/null
    bool discard_output = false;           // stdout to /dev/null (a FastCGI application's)
    // setsid; false: only a process group of its own, in the server's session. A session
    // is a scheduling autogroup where the kernel has them (sched_autogroup_enabled): a
    // long-lived application in a session of its own would get a whole CPU share of its
    // own, beside the whole server's one.
    bool new_session = true;
    std::vector<ResourceLimit> limits;
};

struct StartedProgram {
    pid_t pid = 0;  // also its process group's id
    Fd output;      // the read end of its stdout (non-blocking, close-on-exec); none if discarded
    Fd errors;      // the read end of its stderr (non-blocking, close-on-exec)
    Fd exited;      // a pidfd: readable once the program has exited (not its group)
};

// Starts `spec`, and names its group as the request's child group (request_guard.hpp) for
// whoever must end it: the caller clears that once it has ended the group. Throws std::system_error
// with the errno of what failed: the pipes, the fork, or the exec itself (ENOENT, EACCES, ENOEXEC
// for a script without "#!").
StartedProgram start_program(const ProgramSpec& spec);

// What wait_for_program found ready.
struct ProgramEvents {
    bool output = false;       // stdout has bytes or its end
    bool errors = false;       // stderr has bytes or its end
    bool exited = false;       // the program (not its group) has exited
    bool client_gone = false;  // the client hung up (POLLRDHUP, POLLHUP or an error)
    bool timed_out = false;    // `deadline` passed first
};
// Waits until one of the program's pipes or its exit is ready, the client (`client_fd`, -1
// for none) hangs up, or `deadline` passes. A closed pipe (fd -1) is not watched. Signals
// stay as they are: the program's waits are a handler's, never interrupted by a stop.
ProgramEvents wait_for_program(const StartedProgram& program, int client_fd,
                               std::chrono::steady_clock::time_point deadline);

// What of the same is ready now, without waiting (one poll(2)): `client_fd` may be any
// socket whose peer's hang-up matters (a kept connection to the program). Never timed_out.
ProgramEvents program_events_now(const StartedProgram& program, int client_fd);

// Waits until the program whose pidfd is `exited` has exited, or `deadline` passes; true
// when it has.
bool wait_for_exit(int exited, std::chrono::steady_clock::time_point deadline);

// Sends `signal` to every process in group `group`; false when none is left (ESRCH).
bool signal_process_group(pid_t group, int signal);

// Waits for child `pid` and reaps it; returns its status.
int reap(pid_t pid);

}  // namespace forkd::os
