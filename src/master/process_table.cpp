#include "master/process_table.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>

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

// Room reserved at once (one mapping, never moved), entries made as slots are first used.
ProcessTable::ProcessTable(std::size_t capacity) : capacity_(capacity) {
    children_.reserve(capacity);
}

void ProcessTable::add(Child child) {
    std::size_t index = child.board_slot;
    if (index >= capacity() || (index < children_.size() && children_[index].pid != 0) ||
        child.pid <= 0) {
        throw std::logic_error(
            fmt::format("process table: slot {} is not free for pid {}", index, child.pid));
    }
    if (index >= children_.size()) children_.resize(index + 1);  // within the reserved room
    children_[index] = std::move(child);
    ++size_;
}

std::size_t ProcessTable::index_of(pid_t pid) const {
    if (pid <= 0) return capacity();
    std::size_t seen = 0;
    for (std::size_t index = 0; index < children_.size() && seen < size_; ++index) {
        if (children_[index].pid == pid) return index;
        if (children_[index].pid != 0) ++seen;
    }
    return capacity();
}

std::optional<Child> ProcessTable::remove(pid_t pid) {
    std::size_t index = index_of(pid);
    if (index == capacity()) return std::nullopt;
    std::optional<Child> child(std::move(children_[index]));
    children_[index].pid = 0;
    --size_;
    return child;
}

Child* ProcessTable::find(pid_t pid) {
    std::size_t index = index_of(pid);
    return index == capacity() ? nullptr : &children_[index];
}

const Child* ProcessTable::find(pid_t pid) const {
    std::size_t index = index_of(pid);
    return index == capacity() ? nullptr : &children_[index];
}

std::size_t ProcessTable::free_board_slot() const {
    auto free = std::ranges::find(children_, 0, &Child::pid);
    return static_cast<std::size_t>(free - children_.begin());  // size(): the next unused
}

std::size_t ProcessTable::count(Role role) const {
    return static_cast<std::size_t>(
        std::ranges::count_if(*this, [role](const Child& child) { return child.role == role; }));
}

bool ProcessTable::slot_taken(int slot) const {
    return std::ranges::any_of(*this, [slot](const Child& child) {
        return child.role == Role::worker && child.slot == slot;
    });
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
