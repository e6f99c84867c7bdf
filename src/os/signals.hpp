// Signal state of each kind of process, and the master's signalfd.
//
// Handlers only record (a sig_atomic_t flag); the code that waits acts. A serving process
// (single mode, a prefork worker, a fork-mode connection child) keeps its stop signals
// blocked except while it waits for a client (ppoll / epoll_pwait with wait_mask()), so a
// graceful stop never interrupts a handler and never goes unnoticed by an idle wait.
#pragma once

#include <signal.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <vector>

#include "base/fd.hpp"

namespace forkd::os {

// The mask to wait with (nullptr: the current one). Set by enter_serving_signal_state().
const sigset_t* wait_mask();

// Serving processes: SIGTERM and SIGQUIT ask for a graceful stop (finish the current
// request, then exit); SIGINT ends the process at once (default action); SIGPIPE is ignored;
// SIGHUP, SIGUSR2, SIGWINCH, SIGTTIN and SIGTTOU are ignored (they are the master's); SIGUSR1
// is recorded (reopen logs). Every other signal gets its default action.
void enter_serving_signal_state();
bool stop_requested();
// The process asks itself for a graceful stop (a worker that has served its quota).
void request_stop();
// True once after each SIGUSR1.
bool take_reopen_request();
// Both questions at once, for a loop that asks them every turn: one look at the signals
// left pending instead of two, timed by the loop's own reading of the clock (`now`,
// steady_clock) instead of one more.
struct ServingRequests {
    bool stop = false;    // stop_requested()
    bool reopen = false;  // take_reopen_request()
};
ServingRequests take_serving_requests(std::chrono::steady_clock::time_point now);

// Blocks the signals the master will read from its signalfd, from the very start: one that
// arrives while the listeners open must wait for the loop, not kill the process.
void block_master_signals();

// The master notes once, before its first fork and after open_signalfd() blocked its
// signals, which signals do not have their default disposition (one ignored since before
// the exec, a handler a preload hook installed), and gives itself the serving dispositions
// of enter_serving_signal_state(): all of them are signals it blocks for good and reads
// from its signalfd, so no handler runs in it and each is still queued for it (Linux never
// ignores a blocked signal). A child forked from it then inherits them, and resets only the
// other changed ones, if any, and sets its mask.
void note_master_signal_state();

// Default dispositions and an empty mask: what a child undoes first after fork().
void reset_signal_state();

// Blocks `signals` and returns a signalfd (non-blocking, close-on-exec) that reads them.
Fd open_signalfd(std::initializer_list<int> signals);
// The next signal waiting in the signalfd; nothing when none. Pending standard signals come
// back lowest number first, not in the order they were sent (each is pending at most once).
std::optional<int> read_signal(int signal_fd);

const char* signal_name(int signal);

}  // namespace forkd::os
