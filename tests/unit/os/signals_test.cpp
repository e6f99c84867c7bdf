// A serving process blocks its signals outside its waits: one that arrives while it works
// stays pending, and a loop that never waits (steady load) must still see it.
#include "os/signals.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>

namespace forkd::os {
namespace {

// Polls `condition` for up to a second, as a busy loop that never waits would.
bool seen_within_a_second(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
    }
    return false;
}

// In a child: the serving signal state is process-wide and must not leak into other tests.
int run_in_child(const std::function<int()>& body) {
    pid_t child = ::fork();
    if (child == 0) ::_exit(body());
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(ServingSignals, APendingReopenAndStopAreSeenWithoutEverWaiting) {
    int result = run_in_child([] {
        enter_serving_signal_state();
        if (stop_requested() || take_reopen_request()) return 1;
        ::kill(::getpid(), SIGUSR1);  // blocked: it stays pending
        if (!seen_within_a_second([] { return take_reopen_request(); })) return 2;
        if (take_reopen_request()) return 3;  // once per signal
        ::kill(::getpid(), SIGTERM);
        if (!seen_within_a_second([] { return stop_requested(); })) return 4;
        return 0;
    });
    EXPECT_EQ(result, 0) << "1: a signal seen before one was sent, 2: the reopen never seen, "
                            "3: one reopen seen twice, 4: the stop never seen";
}

bool has_default_action(int signal) {
    struct sigaction current {};
    ::sigaction(signal, nullptr, &current);
    return current.sa_handler == SIG_DFL;
}

void record_nothing(int) {}

// A master that was started with a signal ignored (nohup's SIGHUP) or got a handler from
// a preload hook notes it; its children, forked later, reset exactly those.
TEST(ServingSignals, AChildUndoesWhatItsMasterHadChangedAndOnlyThat) {
    int result = run_in_child([] {
        ::signal(SIGURG, SIG_IGN);            // as inherited across an exec
        ::signal(SIGVTALRM, record_nothing);  // as installed by a preload hook
        note_master_signal_state();
        return run_in_child([] {
            enter_serving_signal_state();
            if (!has_default_action(SIGURG)) return 1;
            if (!has_default_action(SIGVTALRM)) return 2;
            if (has_default_action(SIGPIPE) || has_default_action(SIGTERM)) return 3;
            return 0;
        });
    });
    EXPECT_EQ(result, 0) << "1: an inherited SIG_IGN kept, 2: a preload hook's handler kept, "
                            "3: the serving state not set";
}

// The master sets its children's serving dispositions on itself (note_master_signal_state):
// ignored and handled signals alike, blocked there, must still reach its signalfd, one sent
// before the note included (setting SIG_IGN discards a pending signal).
TEST(MasterSignals, EverySignalStillReachesTheSignalfdOnceTheChildrensStateIsSet) {
    int result = run_in_child([] {
        Fd signals = open_signalfd({SIGHUP, SIGUSR1, SIGPIPE, SIGTERM});
        ::kill(::getpid(), SIGHUP);  // while the master starts
        note_master_signal_state();
        if (has_default_action(SIGHUP) || has_default_action(SIGTERM)) return 1;
        for (int signal : {SIGUSR1, SIGPIPE, SIGTERM})
            ::kill(::getpid(), signal);
        for (int expected : {SIGHUP, SIGUSR1, SIGPIPE, SIGTERM}) {  // lowest number first
            if (read_signal(signals.get()) != expected) return 2;
        }
        if (read_signal(signals.get())) return 3;
        return 0;
    });
    EXPECT_EQ(result, 0) << "1: the serving dispositions not set, 2: a signal lost, "
                            "3: one read twice";
}

}  // namespace
}  // namespace forkd::os
