// What a serving process does when its current request goes wrong, from async-signal-safe
// handlers: past request_timeout (SIGALRM) the client gets 504 and the process exits; on a
// crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) the client gets 502 and the signal is
// re-raised, so the master sees the crash for what it is. Either answer is written only when
// no byte of the response has gone out yet; otherwise the connection just closes.
//
// Installed by every serving process that a master replaces (worker/serving_process.hpp):
// fork-mode children and prefork workers answer 502/504 from here; hybrid app workers only
// re-raise (their io worker answers for them). Exiting is how a request ends, and the master
// replaces the process. Single mode has no master and installs none.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace forkd::os {

// Exit code of a worker that ended a request at request_timeout.
inline constexpr int kRequestTimeoutExitCode = 3;

// Replaces the built-in 502 and 504 answers with whole HTTP responses of the app's own
// (App::error_page). Call before the first fork; the handlers write the bytes as they are.
void set_guard_answers(std::string answer_502, std::string answer_504);

// Installs the crash handlers (on an alternate stack, so a stack overflow is caught too).
// Once per process: a child inherits the handlers and the stack across fork(), so the
// master installs them before its first fork and a child's own call does nothing (eight
// system calls fewer per fork-mode connection). In the master they answer nobody (no
// request there) and a crash still ends it by its signal; its SIGALRM (it arms no timer)
// is then ignored, where it would have killed it.
void install_crash_guard();

// Marks the start of a request on `client_fd`; arms the timeout when `timeout` > 0. With
// `answer` false the handlers never write to the client (hybrid's io worker answers).
void begin_guarded_request(int client_fd, std::chrono::milliseconds timeout, bool answer = true);
// Called before the first byte of the response is written.
void note_response_started();
// Disarms the timeout; the crash guard no longer answers for a client.
void end_guarded_request();

// The current request's client socket (-1 between requests), for a handler that waits on
// something else and must notice a client that went away (a CGI program's output).
int guarded_client_fd();

// The process group a request's program runs in (a CGI script's; 0: none). A timeout or a
// crash of this process KILLs that group first, so no program outlives the request, and
// `observer` (set once, e.g. to publish it on the scoreboard for the master) hears of
// every change.
void set_child_group(pid_t group);
void observe_child_group(void (*observer)(pid_t group));
// For a process no master watches (single mode): `signal` (SIGINT) KILLs the child group
// before it ends the process as it would have.
void end_child_group_on(int signal);

}  // namespace forkd::os
