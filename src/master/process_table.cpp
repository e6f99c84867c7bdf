#include "master/process_table.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <csignal>
#include <vector>

#include "os/process.hpp"
#include "os/request_guard.hpp"

namespace forkd::master {

ipc::SlotRole slot_role_of(Role role) {
    switch (role) {
        case Role::worker:
            return ipc::SlotRole::worker;
        case Role::connection:
            return ipc::SlotRole::connection;
        case Role::io:
            return ipc::SlotRole::io;
    }
    return ipc::SlotRole::none;
}

ipc::ExitCause exit_cause(const Child& child, int status, bool stopping) {
    using ipc::ExitCause;
    if (os::exited_fatally(status)) return ExitCause::start_failure;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (child.killed_for_timeout || code == os::kRequestTimeoutExitCode) return ExitCause::timeout;
    if (WIFSIGNALED(status)) {
        int signal = WTERMSIG(status);
        // The stop signals, and the SIGKILL that ends a stop past its deadline.
        if (stopping && (signal == SIGKILL || signal == SIGTERM || signal == SIGINT))
            return ExitCause::stopped;
        return signal == SIGKILL ? ExitCause::kill : ExitCause::crash;
    }
    if (code != 0) return ExitCause::crash;
    if (child.retiring) return child.retired_for;
    if (stopping) return ExitCause::stopped;
    if (child.role == Role::connection) return ExitCause::connection_closed;
    return ExitCause::max_requests;
}

std::optional<Child> ProcessTable::remove(pid_t pid) {
    auto found = children_.find(pid);
    if (found == children_.end()) return std::nullopt;
    Child child = std::move(found->second);
    children_.erase(found);
    return child;
}

Child* ProcessTable::find(pid_t pid) {
    auto found = children_.find(pid);
    return found == children_.end() ? nullptr : &found->second;
}

std::size_t ProcessTable::free_board_slot() const {
    std::vector<bool> taken(children_.size() + 1, false);
    for (const auto& [pid, child] : children_) {
        if (child.board_slot < taken.size()) taken[child.board_slot] = true;
    }
    std::size_t slot = 0;
    while (taken[slot])
        ++slot;
    return slot;
}

std::size_t ProcessTable::count(Role role) const {
    std::size_t n = 0;
    for (const auto& [pid, child] : children_)
        n += child.role == role ? 1 : 0;
    return n;
}

bool ProcessTable::slot_taken(int slot) const {
    for (const auto& [pid, child] : children_) {
        if (child.role == Role::worker && child.slot == slot) return true;
    }
    return false;
}

std::string describe_death(const Child& child, int status) {
    std::string how = os::describe_exit(status);
    const ipc::SlotView& slot = child.last_slot;
    bool in_request = slot.request_started_ms != 0;
    std::string doing = "between requests";
    if (in_request) {
        doing = fmt::format("serving {} {}", slot.method, slot.target);
        if (!slot.route.empty()) doing += fmt::format(" (route {})", slot.route);
    }
    std::string line = fmt::format("{} (pid {}) {} {} after {} request{}", child.label, child.pid,
                                   how, doing, slot.requests, slot.requests == 1 ? "" : "s");
    // The crash guard (os/request_guard.hpp) or hybrid's io worker answers a request whose
    // process died of a signal; after SIGKILL a connection the process held just closes.
    if (in_request && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
        line += " — that request got 502";
    }
    return line;
}

}  // namespace forkd::master
