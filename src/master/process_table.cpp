#include "master/process_table.hpp"

#include <vector>

namespace forkd::master {

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

}  // namespace forkd::master
