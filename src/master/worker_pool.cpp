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

// The master as the pool's host: a spawned worker runs the pool's WorkerMain.
class MasterHost final : public PoolHost {
  public:
    MasterHost(Master& master, ProcessModel& pool, const WorkerPool::WorkerMain& main,
               bool keeps_listeners)
        : master_(master), pool_(pool), main_(main), keeps_listeners_(keeps_listeners) {}

    const ProcessTable& table() const override { return master_.table(); }
    ipc::Scoreboard& scoreboard() override { return master_.scoreboard(); }
    config::Config& config() override { return master_.server().config; }
    uint32_t generation() const override { return master_.generation(); }
    bool stopping() const override { return master_.stopping(); }
    void spawn(int number, const std::string& label) override {
        master_.spawn(Role::worker, number, label, keeps_listeners_,
                      [&](std::size_t slot) { return main_(master_, slot, label); });
    }
    void retire(pid_t pid, const std::string& why) override { master_.retire(pid, why); }
    void give_up(const std::string& reason) override { master_.give_up(pool_, reason); }

  private:
    Master& master_;
    ProcessModel& pool_;
    const WorkerPool::WorkerMain& main_;
    bool keeps_listeners_;
};

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
    MasterHost host(master, *this, main_, keeps_listeners_);
    start(host);
}

void WorkerPool::maintain(Master& master, Clock::time_point now) {
    MasterHost host(master, *this, main_, keeps_listeners_);
    maintain(host, now);
}

void WorkerPool::child_exited(Master& master, const Child& child, int status) {
    MasterHost host(master, *this, main_, keeps_listeners_);
    child_exited(host, child, status);
}

void WorkerPool::reloaded(Master& master) {
    MasterHost host(master, *this, main_, keeps_listeners_);
    reloaded(host);
}

void WorkerPool::pause(Master& master) {
    MasterHost host(master, *this, main_, keeps_listeners_);
    pause(host);
}

void WorkerPool::resize(Master& master, int delta) {
    MasterHost host(master, *this, main_, keeps_listeners_);
    resize(host, delta);
}

void WorkerPool::start(PoolHost& host) {
    uint64_t limit = host.config().pool_memory_limit / 1024;
    if (limit == 0) limit = os::cgroup_memory_limit_kb().value_or(0);
    memory_limit_kb_ = limit;
    maintain(host, Clock::now());
}

void WorkerPool::maintain(PoolHost& host, Clock::time_point now) {
    std::vector<WorkerView> workers = worker_views(host, now);
    PoolSettings settings = PoolSettings::from(host.config(), memory_limit_kb_);
    state_.connections_waiting =
        connections_waiting_ || host.scoreboard().header().listen_queue.load() > 0;
    PoolPlan plan = plan_pool(workers, settings, state_, now);
    for (int number : plan.spawn_numbers)
        spawn_worker(host, number);
    for (pid_t pid : plan.retire)
        host.retire(pid, "the pool shrinks or a new generation is ready");
    state_.ramp = plan.next_ramp;
    state_.started = true;
    report_full_pool(host, plan.at_max_workers, now);
    auto backing_off = static_cast<uint64_t>(std::ranges::count_if(
        state_.backoff, [&](const auto& entry) { return entry.second.not_before > now; }));
    host.scoreboard().header().degraded = backing_off > 0 ? 1 : 0;
    host.scoreboard().header().counters.backing_off.store(backing_off, std::memory_order_relaxed);
}

void WorkerPool::child_exited(PoolHost& host, const Child& child, int status) {
    if (host.stopping() || child.retiring) return;
    if (os::exited_fatally(status)) {
        log::error("{} (pid {}) failed its start; its number is not restarted", child.label,
                   child.pid);
        state_.failed_numbers.insert(child.slot);
        auto workers = static_cast<std::size_t>(host.config().workers);
        if (state_.failed_numbers.size() >= workers) host.give_up("every worker failed its start");
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
    note_crash(child, status);
}

void WorkerPool::reloaded(PoolHost& host) {
    state_.generation = host.generation();
    state_.started = false;
    state_.ramp = 1;
    state_.failed_numbers.clear();
    state_.backoff.clear();
}

void WorkerPool::pause(PoolHost& host) {
    state_.stopping = true;
    std::vector<pid_t> pids;
    for (const Child& child : host.table()) {
        if (child.role == Role::worker) pids.push_back(child.pid);
    }
    for (pid_t pid : pids)
        host.retire(pid, "binary upgrade: the new master serves");
}

void WorkerPool::resume(Master&) {
    state_.stopping = false;
    state_.started = false;
}

void WorkerPool::resize(PoolHost& host, int delta) {
    config::Config& config = host.config();
    int& size = config.pm == config::Pm::static_pool ? config.workers : config.max_workers;
    int ceiling = static_cast<int>(host.scoreboard().size() / 2);
    size = std::clamp(size + delta, 1, ceiling);
    log::info("pool size is now {}", size);
    if (delta < 0) retire_highest_numbered(host);
}

std::vector<WorkerView> WorkerPool::worker_views(PoolHost& host, Clock::time_point now) const {
    std::vector<WorkerView> views;
    for (const Child& child : host.table()) {
        if (child.role != Role::worker) continue;
        ipc::SlotView slot = host.scoreboard().read(child.board_slot);
        views.push_back(WorkerView{child.pid, child.slot, child.generation, slot.state,
                                   steady_from_ms(slot.idle_since_ms, now), slot.pss_kb,
                                   child.retiring});
    }
    return views;
}

void WorkerPool::spawn_worker(PoolHost& host, int number) {
    std::string label = std::string(label_prefix_) + " " + std::to_string(number);
    try {
        host.spawn(number, label);
    } catch (const std::exception& e) {
        log::error("cannot start {}: {}", label, e.what());
    }
}

// One line per crash. Only a crash loop is throttled, per worker number: 100 ms, doubling,
// at most 30 s; the pool is "degraded" meanwhile. The master itself never sleeps over it.
//
// A worker that served requests before it crashed is no crash loop: one request broke it,
// not its start, and its number starts over (backing off after every crash emptied the
// pool when one request in a thousand crashed a worker).
void WorkerPool::note_crash(const Child& child, int status) {
    std::string crash = describe_death(child, status);
    bool served = child.last_slot.requests > 0;
    if (served) state_.backoff.erase(child.slot);
    if (served || killed_from_outside(status)) {
        log::error("{}; restarting it at once", crash);
        return;
    }
    Clock::time_point now = Clock::now();
    Backoff& backoff = state_.backoff[child.slot];
    if (now - child.started >= kStableLifetime) backoff.crashes = 0;
    ++backoff.crashes;
    Clock::duration delay = crash_backoff(backoff.crashes);
    backoff.not_before = now + delay;
    auto delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
    log::error("{}; restarting it in {} ms ({} crashes in a row)", crash, delay_ms,
               backoff.crashes);
}

void WorkerPool::report_full_pool(PoolHost& host, bool full, Clock::time_point now) {
    if (!full) {
        was_full_ = false;
        return;
    }
    if (!was_full_) host.scoreboard().header().max_workers_reached.fetch_add(1);
    was_full_ = true;
    if (now - last_full_log_ < kFullPoolLogInterval) return;
    last_full_log_ = now;
    log::warn(
        "server reached max_workers: every worker is busy, connections wait ({} in the "
        "listen queue, {} queued in io workers)",
        host.scoreboard().header().listen_queue.load(), host.scoreboard().header().queued.load());
}

void WorkerPool::retire_highest_numbered(PoolHost& host) {
    const Child* highest = nullptr;
    for (const Child& child : host.table()) {
        if (child.role != Role::worker || child.retiring) continue;
        if (child.generation != host.generation()) continue;
        if (highest == nullptr || child.slot > highest->slot) highest = &child;
    }
    if (highest != nullptr) host.retire(highest->pid, "SIGTTOU");
}

}  // namespace forkd::master
