// The master's record of its children: who they are, what they are for, when they started.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "ipc/scoreboard.hpp"

namespace forkd::master {

using Clock = std::chrono::steady_clock;

enum class Role { worker, connection, io };
ipc::SlotRole slot_role_of(Role role);

struct Child {
    pid_t pid = 0;
    Role role = Role::worker;
    int slot = 0;       // prefork: the worker's number (1..workers); fork: 0
    std::string label;  // "worker 3", "conn 127.0.0.1:51234": for logs
    Clock::time_point started;
    std::size_t board_slot = 0;  // its slot in the scoreboard
    uint32_t generation = 0;     // the configuration generation it was started with
    bool retiring = false;       // told to finish its request and exit
    ipc::ExitCause retired_for = ipc::ExitCause::retired;  // why, when retiring
    bool killed_for_timeout = false;  // SIGKILLed by the master: request_timeout's backstop
    // Its scoreboard slot as the master read it after reaping it, before clearing it: what
    // it had served and what it was serving when it died.
    ipc::SlotView last_slot{};
};

// A child's death for the error log, from its wait status and last slot: "app 3 (pid 1234)
// killed by SIGSEGV (signal 11) serving GET /crash?x (route /crash) after 5 requests —
// that request got 502". What happens to the child next is the caller's to add.
std::string describe_death(const Child& child, int status);

// Why a child exited, for the metrics, from its wait status, what the master asked of it
// and whether the server is stopping. A clean exit nobody asked for is a worker that served
// its max_requests (or a fork-mode child whose connection ended).
ipc::ExitCause exit_cause(const Child& child, int status, bool stopping);

class ProcessTable {
  public:
    void add(Child child) { children_[child.pid] = std::move(child); }
    // Forgets `pid` and returns what was known of it (nothing for a stranger, e.g. an
    // orphaned grandchild reaped as subreaper).
    std::optional<Child> remove(pid_t pid);
    Child* find(pid_t pid);
    // The lowest scoreboard slot no child holds.
    std::size_t free_board_slot() const;

    std::size_t size() const { return children_.size(); }
    bool empty() const { return children_.empty(); }
    std::size_t count(Role role) const;
    bool slot_taken(int slot) const;

    auto begin() const { return children_.begin(); }
    auto end() const { return children_.end(); }

  private:
    std::map<pid_t, Child> children_;
};

}  // namespace forkd::master
