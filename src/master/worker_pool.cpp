#include "master/worker_pool.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>

#include "base/log.hpp"
#include "os/process.hpp"
#include "os/process_info.hpp"
#include "os/request_guard.hpp"

namespace forkd::master {
namespace {

// "server reached max_workers" is logged at most this often.
constexpr std::chrono::seconds kFullPoolLogInterval{10};
// A worker that lived this long has stopped crash-looping: its back-off starts over.
constexpr std::chrono::seconds kStableLifetime{30};

// SIGKILL cannot come from the worker's own code (its crashes are SIGSEGV, SIGABRT, ...):
// an operator, the OOM killer or the master's request_timeout backstop sent it. That is no
// crash loop to throttle; backing off would leave the pool empty while every worker was
// healthy (kill -9 on a few workers in a row emptied it for seconds, and hybrid's queued
// requests then got 503).
bool killed_from_outside(int status) {
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

Clock::time_point steady_from_ms(uint64_t epoch_ms, Clock::time_point now) {
    uint64_t now_ms = ipc::Scoreboard::now_ms();
    return now - std::chrono::milliseconds(now_ms - std::min(epoch_ms, now_ms));
}

}  // namespace

WorkerPool::WorkerPool(const char* name, const char* label_prefix, WorkerMain main,
                       bool keeps_listeners)
    : name_(name),
      label_prefix_(label_prefix),
      main_(std::move(main)),
      keeps_listeners_(keeps_listeners) {}

void WorkerPool::start(Master& master) {
    uint64_t limit = master.server().config.pool_memory_limit / 1024;
    if (limit == 0) limit = os::cgroup_memory_limit_kb().value_or(0);
    memory_limit_kb_ = limit;
    maintain(master, Clock::now());
}

void WorkerPool::maintain(Master& master, Clock::time_point now) {
    std::vector<WorkerView> workers = worker_views(master, now);
    PoolSettings settings = PoolSettings::from(master.server().config, memory_limit_kb_);
    state_.connections_waiting =
        connections_waiting_ || master.scoreboard().header().listen_queue.load() > 0;
    PoolPlan plan = plan_pool(workers, settings, state_, now);
    for (int number : plan.spawn_numbers)
        spawn_worker(master, number);
    for (pid_t pid : plan.retire)
        master.retire(pid, "the pool shrinks or a new generation is ready");
    state_.ramp = plan.next_ramp;
    state_.started = true;
    report_full_pool(master, plan.at_max_workers, now);
    bool degraded = std::ranges::any_of(
        state_.backoff, [&](const auto& entry) { return entry.second.not_before > now; });
    master.scoreboard().header().degraded = degraded ? 1 : 0;
}

void WorkerPool::child_exited(Master& master, const Child& child, int status) {
    if (master.stopping() || child.retiring) return;
    if (os::exited_fatally(status)) {
        log::error("{} (pid {}) failed its start; its number is not restarted", child.label,
                   child.pid);
        state_.failed_numbers.insert(child.slot);
        auto workers = static_cast<std::size_t>(master.server().config.workers);
        if (state_.failed_numbers.size() >= workers) {
            master.give_up(*this, "every worker failed its start");
        }
        return;
    }
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    bool timed_out = WIFEXITED(status) && WEXITSTATUS(status) == os::kRequestTimeoutExitCode;
    if (clean) return;  // it retired itself (max_requests): the plan replaces it
    if (timed_out) {
        log::warn("{} (pid {}) ended a request at request_timeout; replacing it", child.label,
                  child.pid);
        return;
    }
    if (killed_from_outside(status)) {
        log::error("{} (pid {}) {}; replacing it at once", child.label, child.pid,
                   os::describe_exit(status));
        return;
    }
    note_crash(child, status);
}

void WorkerPool::reloaded(Master& master) {
    state_.generation = master.generation();
    state_.started = false;
    state_.ramp = 1;
    state_.failed_numbers.clear();
    state_.backoff.clear();
}

void WorkerPool::pause(Master& master) {
    state_.stopping = true;
    std::vector<pid_t> pids;
    for (const auto& [pid, child] : master.table()) {
        if (child.role == Role::worker) pids.push_back(pid);
    }
    for (pid_t pid : pids)
        master.retire(pid, "binary upgrade: the new master serves");
}

void WorkerPool::resume(Master&) {
    state_.stopping = false;
    state_.started = false;
}

void WorkerPool::resize(Master& master, int delta) {
    config::Config& config = master.server().config;
    int& size = config.pm == config::Pm::static_pool ? config.workers : config.max_workers;
    int ceiling = static_cast<int>(master.scoreboard().size() / 2);
    size = std::clamp(size + delta, 1, ceiling);
    log::info("pool size is now {}", size);
    if (delta < 0) retire_highest_numbered(master);
}

std::vector<WorkerView> WorkerPool::worker_views(Master& master, Clock::time_point now) const {
    std::vector<WorkerView> views;
    for (const auto& [pid, child] : master.table()) {
        if (child.role != Role::worker) continue;
        ipc::SlotView slot = master.scoreboard().read(child.board_slot);
        views.push_back(WorkerView{pid, child.slot, child.generation, slot.state,
                                   steady_from_ms(slot.idle_since_ms, now), slot.pss_kb,
                                   child.retiring});
    }
    return views;
}

void WorkerPool::spawn_worker(Master& master, int number) {
    std::string label = std::string(label_prefix_) + " " + std::to_string(number);
    try {
        master.spawn(Role::worker, number, label, keeps_listeners_,
                     [&](std::size_t slot) { return main_(master, slot, label); });
    } catch (const std::exception& e) {
        log::error("cannot start {}: {}", label, e.what());
    }
}

// Crash loops are throttled per worker number: 100 ms, doubling, at most 30 s; the pool is
// "degraded" meanwhile. The master itself never sleeps over it.
void WorkerPool::note_crash(const Child& child, int status) {
    Clock::time_point now = Clock::now();
    Backoff& backoff = state_.backoff[child.slot];
    if (now - child.started >= kStableLifetime) backoff.crashes = 0;
    ++backoff.crashes;
    Clock::duration delay = crash_backoff(backoff.crashes);
    backoff.not_before = now + delay;
    auto delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
    log::error("{} (pid {}) {}; restarting it in {} ms ({} crashes in a row)", child.label,
               child.pid, os::describe_exit(status), delay_ms, backoff.crashes);
}

void WorkerPool::report_full_pool(Master& master, bool full, Clock::time_point now) {
    if (!full) {
        was_full_ = false;
        return;
    }
    if (!was_full_) master.scoreboard().header().max_workers_reached.fetch_add(1);
    was_full_ = true;
    if (now - last_full_log_ < kFullPoolLogInterval) return;
    last_full_log_ = now;
    log::warn(
        "server reached max_workers: every worker is busy, connections wait ({} in the "
        "listen queue, {} queued in io workers)",
        master.scoreboard().header().listen_queue.load(),
        master.scoreboard().header().queued.load());
}

void WorkerPool::retire_highest_numbered(Master& master) {
    const Child* highest = nullptr;
    for (const auto& [pid, child] : master.table()) {
        if (child.role != Role::worker || child.retiring) continue;
        if (child.generation != master.generation()) continue;
        if (highest == nullptr || child.slot > highest->slot) highest = &child;
    }
    if (highest != nullptr) master.retire(highest->pid, "SIGTTOU");
}

}  // namespace forkd::master
