// The master's record of its children: who they are, what they are for, when they started.
#pragma once

#include <fmt/format.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/scoreboard.hpp"
#include "os/shared_memory.hpp"

namespace forkd::master {

using Clock = std::chrono::steady_clock;

enum class Role { worker, connection, io };
ipc::SlotRole slot_role_of(Role role);

// A child's name for the logs: "worker 3", "io 1", "conn 127.0.0.1:51234". Kept in place,
// so that naming a fork-mode connection's child allocates nothing in the master (every heap
// page the master writes between two forks is a copy-on-write fault). Longer text is cut.
class Label {
  public:
    static constexpr std::size_t kCapacity = 63;  // "conn " and the longest IPv6 peer fit

    Label() = default;
    Label(std::string_view text) { assign(text); }              // NOLINT: implicit, as a string's
    Label(const char* text) : Label(std::string_view(text)) {}  // NOLINT
    Label(const std::string& text) : Label(std::string_view(text)) {}  // NOLINT

    void assign(std::string_view text) {
        size_ = static_cast<uint8_t>(std::min(text.size(), kCapacity));
        std::copy_n(text.data(), size_, text_.data());
    }
    // Two parts, e.g. "conn " and a peer: no temporary string.
    void assign(std::string_view first, std::string_view second) {
        assign(first);
        std::size_t more = std::min(second.size(), kCapacity - size_);
        std::copy_n(second.data(), more, text_.data() + size_);
        size_ = static_cast<uint8_t>(size_ + more);
    }
    std::string_view view() const { return {text_.data(), size_}; }
    operator std::string_view() const { return view(); }  // NOLINT: reads as the text
    bool operator==(std::string_view text) const { return view() == text; }

  private:
    std::array<char, kCapacity> text_{};
    uint8_t size_ = 0;
};

struct Child {
    pid_t pid = 0;
    Role role = Role::worker;
    int slot = 0;  // prefork: the worker's number (1..workers); fork: 0
    Label label;   // for logs
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

// The children, one entry per scoreboard slot (each child holds one): an array whose room
// is made once, so that in fork mode, where the master adds and removes a child for every
// connection, neither allocates nor rebalances anything, and writes one entry (bench/
// reading.md, "Fork mode, fourth pass"). Lookups by pid scan the entries in slot order and
// stop once they have seen every child: slots are handed out lowest first, so the children
// are at the front.
class ProcessTable {
  public:
    // Room for `capacity` children: the scoreboard's size.
    explicit ProcessTable(std::size_t capacity);

    // Takes `child.board_slot`, which must be free (free_board_slot()); throws
    // std::logic_error otherwise.
    void add(Child child);
    // Forgets `pid` and returns what was known of it (nothing for a stranger, e.g. an
    // orphaned grandchild reaped as subreaper).
    std::optional<Child> remove(pid_t pid);
    Child* find(pid_t pid);
    const Child* find(pid_t pid) const;
    // The lowest scoreboard slot no child holds; capacity() when every one is taken.
    std::size_t free_board_slot() const;

    std::size_t capacity() const { return capacity_; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::size_t count(Role role) const;
    bool slot_taken(int slot) const;

    // The children (const Child&), in slot order.
    class Iterator {
      public:
        using value_type = Child;
        using difference_type = std::ptrdiff_t;
        using reference = const Child&;
        using pointer = const Child*;
        using iterator_category = std::forward_iterator_tag;

        Iterator() = default;
        Iterator(const ProcessTable* table, std::size_t index) : table_(table), index_(index) {
            skip_free();
        }
        const Child& operator*() const { return table_->children_[index_]; }
        const Child* operator->() const { return &table_->children_[index_]; }
        Iterator& operator++() {
            ++index_;
            skip_free();
            return *this;
        }
        Iterator operator++(int) {
            Iterator before = *this;
            ++*this;
            return before;
        }
        bool operator==(const Iterator& other) const { return index_ == other.index_; }

      private:
        void skip_free() {
            while (index_ < table_->children_.size() && table_->children_[index_].pid == 0)
                ++index_;
        }
        const ProcessTable* table_ = nullptr;
        std::size_t index_ = 0;
    };
    Iterator begin() const { return {this, 0}; }
    Iterator end() const { return {this, children_.size()}; }

  private:
    std::size_t index_of(pid_t pid) const;  // capacity() when not found

    std::size_t capacity_;
    // By slot, up to the highest used yet; pid 0 for a free one. In memory the children do
    // not get: the master writes an entry per fork-mode connection, each time on a page the
    // fork before made copy-on-write.
    std::vector<Child, os::UnforkedAllocator<Child>> children_;
    std::size_t size_ = 0;
};

}  // namespace forkd::master

// Labels go into log lines as their text.
template <>
struct fmt::formatter<forkd::master::Label> : fmt::formatter<std::string_view> {
    auto format(const forkd::master::Label& label, fmt::format_context& context) const {
        return fmt::formatter<std::string_view>::format(label.view(), context);
    }
};
