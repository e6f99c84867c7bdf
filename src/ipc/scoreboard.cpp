#include "ipc/scoreboard.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <stdexcept>

#include "os/shared_memory.hpp"

namespace forkd::ipc {

// Field layout of one slot. Plain fields are written only between the two increments of
// `sequence` by the slot's single writer; `state` is atomic on its own because hybrid
// mode's io workers compare-and-swap it.
struct Scoreboard::Slot {
    std::atomic<uint32_t> sequence{0};
    std::atomic<uint8_t> state{0};
    std::atomic<uint64_t> pss_kb{0};      // written by the master, outside the seqlock
    std::atomic<int32_t> child_group{0};  // the owner's running program, outside the seqlock
    std::atomic<int32_t> application{0};  // the owner's spawned FastCGI application
    std::atomic<uint64_t> quota{0};       // requests after which the owner retires (0: never)
    SlotRole role = SlotRole::none;
    pid_t pid = 0;
    uint32_t generation = 0;
    uint64_t requests = 0;
    uint64_t started_ms = 0;
    uint64_t request_started_ms = 0;
    uint64_t bytes_written = 0;
    uint64_t idle_since_ms = 0;
    char method[16] = {};
    char target[128] = {};
    char route[64] = {};
    char client[64] = {};
};

namespace {

class WriteSection {
  public:
    explicit WriteSection(std::atomic<uint32_t>& sequence) : sequence_(sequence) {
        sequence_.fetch_add(1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
    }
    ~WriteSection() { sequence_.fetch_add(1, std::memory_order_release); }
    WriteSection(const WriteSection&) = delete;
    WriteSection& operator=(const WriteSection&) = delete;

  private:
    std::atomic<uint32_t>& sequence_;
};

// The reading side of the seqlock: `copy` runs until it saw no write begin or end meanwhile.
template <class Copy>
auto read_consistently(const std::atomic<uint32_t>& sequence, Copy copy) {
    for (;;) {
        uint32_t before = sequence.load(std::memory_order_acquire);
        if (before % 2 != 0) continue;  // a write is in progress
        auto copied = copy();
        std::atomic_thread_fence(std::memory_order_acquire);
        if (sequence.load(std::memory_order_relaxed) == before) return copied;
    }
}

template <std::size_t N>
void copy_text(char (&field)[N], std::string_view text) {
    std::size_t length = std::min(text.size(), N - 1);
    if (length > 0) std::memcpy(field, text.data(), length);  // an empty view's data() may be null
    field[length] = '\0';
}

}  // namespace

std::string_view to_string(SlotState state) {
    switch (state) {
        case SlotState::empty:
            return "empty";
        case SlotState::starting:
            return "starting";
        case SlotState::idle:
            return "idle";
        case SlotState::claimed:
            return "claimed";
        case SlotState::reading:
            return "reading";
        case SlotState::busy:
            return "busy";
        case SlotState::keepalive:
            return "keepalive";
        case SlotState::closing:
            return "closing";
    }
    return "?";
}

std::string_view to_string(SlotRole role) {
    switch (role) {
        case SlotRole::none:
            return "none";
        case SlotRole::worker:
            return "worker";
        case SlotRole::connection:
            return "connection";
        case SlotRole::io:
            return "io";
    }
    return "?";
}

Scoreboard::Scoreboard(std::size_t slots) : slots_(slots) {
    region_size_ = sizeof(ScoreboardHeader) + slots * sizeof(Slot);
    region_ = os::map_shared_anonymous(region_size_);
    new (region_) ScoreboardHeader();
    for (std::size_t i = 0; i < slots; ++i)
        new (slot(i)) Slot();
    header().started_ms = now_ms();
}

Scoreboard::~Scoreboard() {
    os::unmap(region_, region_size_);
}

ScoreboardHeader& Scoreboard::header() {
    return *static_cast<ScoreboardHeader*>(region_);
}
const ScoreboardHeader& Scoreboard::header() const {
    return *static_cast<const ScoreboardHeader*>(region_);
}

Scoreboard::Slot* Scoreboard::slot(std::size_t index) const {
    if (index >= slots_) throw std::out_of_range("scoreboard slot out of range");
    auto* base = static_cast<char*>(region_) + sizeof(ScoreboardHeader);
    return reinterpret_cast<Slot*>(base + index * sizeof(Slot));
}

SlotView Scoreboard::read(std::size_t index) const {
    const Slot* s = slot(index);
    return read_consistently(s->sequence, [s] {
        SlotView view;
        view.pid = s->pid;
        view.generation = s->generation;
        view.role = s->role;
        view.state = static_cast<SlotState>(s->state.load(std::memory_order_relaxed));
        view.requests = s->requests;
        view.started_ms = s->started_ms;
        view.request_started_ms = s->request_started_ms;
        view.bytes_written = s->bytes_written;
        view.pss_kb = s->pss_kb.load(std::memory_order_relaxed);
        view.application_pid = s->application.load(std::memory_order_relaxed);
        view.idle_since_ms = s->idle_since_ms;
        view.method = std::string(s->method, strnlen(s->method, sizeof s->method));
        view.target = std::string(s->target, strnlen(s->target, sizeof s->target));
        view.route = std::string(s->route, strnlen(s->route, sizeof s->route));
        view.client = std::string(s->client, strnlen(s->client, sizeof s->client));
        return view;
    });
}

pid_t Scoreboard::pid(std::size_t index) const {
    const Slot* s = slot(index);
    return read_consistently(s->sequence, [s] { return s->pid; });
}

void Scoreboard::assign(std::size_t index, pid_t pid, uint32_t generation, SlotRole role) {
    Slot* s = slot(index);
    // Raised before the slot can turn idle, so that no search misses it.
    auto& used = header().slots_used;
    auto end = static_cast<uint32_t>(index + 1);
    for (uint32_t seen = used.load(std::memory_order_relaxed); seen < end;) {
        if (used.compare_exchange_weak(seen, end, std::memory_order_release)) break;
    }
    WriteSection section(s->sequence);
    s->pid = pid;
    s->generation = generation;
    s->role = role;
    s->requests = 0;
    s->started_ms = now_ms();
    s->idle_since_ms = s->started_ms;
    s->request_started_ms = 0;
    s->bytes_written = 0;
    s->pss_kb.store(0, std::memory_order_relaxed);
    s->child_group.store(0, std::memory_order_relaxed);
    s->application.store(0, std::memory_order_relaxed);
    s->quota.store(0, std::memory_order_relaxed);
    s->method[0] = s->target[0] = s->route[0] = s->client[0] = '\0';
    s->state.store(static_cast<uint8_t>(SlotState::starting), std::memory_order_relaxed);
}

void Scoreboard::clear(std::size_t index) {
    Slot* s = slot(index);
    WriteSection section(s->sequence);
    s->pid = 0;
    s->role = SlotRole::none;
    s->request_started_ms = 0;
    s->state.store(static_cast<uint8_t>(SlotState::empty), std::memory_order_relaxed);
}

void Scoreboard::set_state(std::size_t index, SlotState state) {
    Slot* s = slot(index);
    WriteSection section(s->sequence);
    s->state.store(static_cast<uint8_t>(state), std::memory_order_relaxed);
}

void Scoreboard::begin_request(std::size_t index, std::string_view method, std::string_view target,
                               std::string_view client, std::string_view route) {
    Slot* s = slot(index);
    WriteSection section(s->sequence);
    s->request_started_ms = now_ms();
    s->bytes_written = 0;
    copy_text(s->method, method);
    copy_text(s->target, target);
    copy_text(s->route, route);
    copy_text(s->client, client);
    s->state.store(static_cast<uint8_t>(SlotState::busy), std::memory_order_relaxed);
}

void Scoreboard::end_request(std::size_t index, SlotState next, uint64_t bytes_written,
                             bool count_in_header) {
    Slot* s = slot(index);
    {
        WriteSection section(s->sequence);
        s->requests += 1;
        s->request_started_ms = 0;
        s->idle_since_ms = now_ms();
        s->bytes_written = bytes_written;
        // Its quota spent, an app worker's slot is never idle again: no io worker claims it
        // while its owner notices and retires.
        uint64_t quota = s->quota.load(std::memory_order_relaxed);
        if (next == SlotState::idle && quota > 0 && s->requests >= quota) next = SlotState::closing;
        s->state.store(static_cast<uint8_t>(next), std::memory_order_relaxed);
    }
    if (count_in_header) header().requests.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::set_child_group(std::size_t index, pid_t group) {
    slot(index)->child_group.store(group, std::memory_order_relaxed);
}

pid_t Scoreboard::child_group(std::size_t index) const {
    return slot(index)->child_group.load(std::memory_order_relaxed);
}

void Scoreboard::set_quota(std::size_t index, uint64_t requests) {
    slot(index)->quota.store(requests, std::memory_order_relaxed);
}

pid_t Scoreboard::application(std::size_t index) const {
    return slot(index)->application.load(std::memory_order_relaxed);
}

void Scoreboard::set_application(std::size_t index, pid_t pid) {
    slot(index)->application.store(pid, std::memory_order_relaxed);
}

void Scoreboard::set_pss(std::size_t index, uint64_t pss_kb) {
    slot(index)->pss_kb.store(pss_kb, std::memory_order_relaxed);
}

bool Scoreboard::try_claim(std::size_t index) {
    Slot* s = slot(index);
    auto expected = static_cast<uint8_t>(SlotState::idle);
    // A plain load first: a compare-and-swap takes the cache line for writing even when it
    // fails, and most slots a search passes are not idle.
    if (s->state.load(std::memory_order_relaxed) != expected) return false;
    return s->state.compare_exchange_strong(expected, static_cast<uint8_t>(SlotState::claimed),
                                            std::memory_order_acq_rel);
}

std::size_t Scoreboard::slots_used() const {
    return std::min<std::size_t>(header().slots_used.load(std::memory_order_acquire), slots_);
}

bool Scoreboard::try_unclaim(std::size_t index) {
    Slot* s = slot(index);
    auto expected = static_cast<uint8_t>(SlotState::claimed);
    return s->state.compare_exchange_strong(expected, static_cast<uint8_t>(SlotState::idle),
                                            std::memory_order_acq_rel);
}

SlotState Scoreboard::state(std::size_t index) const {
    return static_cast<SlotState>(slot(index)->state.load(std::memory_order_acquire));
}

uint64_t Scoreboard::now_ms() {
    using namespace std::chrono;
    return static_cast<uint64_t>(
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace forkd::ipc
