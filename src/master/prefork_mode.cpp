// Prefork mode, as Apache prefork, PHP-FPM and gunicorn sync: a pool of worker processes
// accepts on the shared listeners, each serving one connection at a time. plan_pool decides
// who starts and who retires, from the process table and the scoreboard; this file carries
// the plan out and keeps the books plan_pool reads (crash back-off, failed starts,
// generations).
#include <sys/wait.h>

#include <algorithm>

#include "base/log.hpp"
#include "master/master.hpp"
#include "master/pool_plan.hpp"
#include "os/process.hpp"
#include "os/process_info.hpp"
#include "os/request_guard.hpp"
#include "worker/serve_loop.hpp"

namespace forkd::master {
namespace {

// "server reached max_workers" is logged at most this often.
constexpr std::chrono::seconds kFullPoolLogInterval{10};
// A worker that lived this long has stopped crash-looping: its back-off starts over.
constexpr std::chrono::seconds kStableLifetime{30};

Clock::time_point steady_from_ms(uint64_t epoch_ms, Clock::time_point now) {
    auto age = std::chrono::milliseconds(ipc::Scoreboard::now_ms() -
                                         std::min(epoch_ms, ipc::Scoreboard::now_ms()));
    return now - age;
}

class PreforkModel final : public ProcessModel {
  public:
    const char* name() const override { return "prefork"; }

    void start(Master& master) override {
        uint64_t limit = master.server().config.pool_memory_limit / 1024;
        if (limit == 0) limit = os::cgroup_memory_limit_kb().value_or(0);
        memory_limit_kb_ = limit;
        maintain(master, Clock::now());
    }

    void maintain(Master& master, Clock::time_point now) override {
        std::vector<WorkerView> workers = worker_views(master, now);
        PoolSettings settings = PoolSettings::from(master.server().config, memory_limit_kb_);
        PoolPlan plan = plan_pool(workers, settings, state_, now);
        for (int number : plan.spawn_numbers)
            spawn_worker(master, number);
        for (pid_t pid : plan.retire)
            master.retire(pid, "the pool shrinks or a new generation is ready");
        state_.ramp = plan.next_ramp;
        state_.started = true;
        state_.connections_waiting = false;
        report_full_pool(master, plan.at_max_workers, now);
        bool degraded = std::ranges::any_of(
            state_.backoff, [&](const auto& entry) { return entry.second.not_before > now; });
        master.scoreboard().header().degraded = degraded ? 1 : 0;
    }

    void child_exited(Master& master, const Child& child, int status) override {
        if (master.stopping() || child.retiring) return;
        if (os::exited_fatally(status)) {
            log::error("{} (pid {}) failed its start; its number is not restarted", child.label,
                       child.pid);
            state_.failed_numbers.insert(child.slot);
            if (state_.failed_numbers.size() >=
                static_cast<std::size_t>(master.server().config.workers)) {
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
        note_crash(child, status);
    }

    void stop_accepting(Master&) override { state_.stopping = true; }

    void reloaded(Master& master) override {
        state_.generation = master.generation();
        state_.started = false;
        state_.ramp = 1;
        state_.failed_numbers.clear();
        state_.backoff.clear();
    }

    void pause(Master& master) override {
        state_.stopping = true;
        std::vector<pid_t> pids;
        for (const auto& [pid, child] : master.table())
            pids.push_back(pid);
        for (pid_t pid : pids)
            master.retire(pid, "binary upgrade: the new master serves");
    }

    void resume(Master&) override {
        state_.stopping = false;
        state_.started = false;
    }

    void resize(Master& master, int delta) override {
        config::Config& config = master.server().config;
        int& size = config.pm == config::Pm::static_pool ? config.workers : config.max_workers;
        int ceiling = static_cast<int>(master.scoreboard().size() / 2);
        size = std::clamp(size + delta, 1, ceiling);
        log::info("pool size is now {}", size);
        if (delta < 0) retire_highest_numbered(master);
    }

  private:
    std::vector<WorkerView> worker_views(Master& master, Clock::time_point now) {
        std::vector<WorkerView> views;
        for (const auto& [pid, child] : master.table()) {
            ipc::SlotView slot = master.scoreboard().read(child.board_slot);
            views.push_back(WorkerView{pid, child.slot, child.generation, slot.state,
                                       steady_from_ms(slot.idle_since_ms, now), slot.pss_kb,
                                       child.retiring});
        }
        return views;
    }

    void spawn_worker(Master& master, int number) {
        std::string label = "worker " + std::to_string(number);
        Server& server = master.server();
        try {
            master.spawn(Role::worker, number, label, true, [&](std::size_t slot) {
                os::install_crash_guard();
                session::Options options = server.options;
                options.guard_requests = true;
                worker::ReporterSettings settings{
                    worker::request_quota(server.config.max_requests,
                                          server.config.max_requests_jitter),
                    server.config.slow_request_log};
                worker::StatusReporter status(label, &master.scoreboard(), slot, settings);
                session::Services services{options, server.router, server.access_log, status};
                std::vector<int> listeners = listener_fds(server.listeners);
                worker::serve_until_stopped(listeners, services, status);
                return 0;
            });
        } catch (const std::exception& e) {
            log::error("cannot start {}: {}", label, e.what());
        }
    }

    // Crash loops are throttled per worker number: 100 ms, doubling, at most 30 s; the pool
    // is "degraded" meanwhile. The master itself never sleeps over it.
    void note_crash(const Child& child, int status) {
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

    void report_full_pool(Master& master, bool full, Clock::time_point now) {
        if (!full) {
            was_full_ = false;
            return;
        }
        if (!was_full_) master.scoreboard().header().max_workers_reached.fetch_add(1);
        was_full_ = true;
        if (now - last_full_log_ < kFullPoolLogInterval) return;
        last_full_log_ = now;
        log::warn(
            "server reached max_workers: every worker is busy, connections wait in the "
            "listen queue ({} there now)",
            master.scoreboard().header().listen_queue.load());
    }

    void retire_highest_numbered(Master& master) {
        const Child* highest = nullptr;
        for (const auto& [pid, child] : master.table()) {
            if (child.retiring || child.generation != master.generation()) continue;
            if (highest == nullptr || child.slot > highest->slot) highest = &child;
        }
        if (highest != nullptr) master.retire(highest->pid, "SIGTTOU");
    }

    PoolState state_;
    uint64_t memory_limit_kb_ = 0;
    bool was_full_ = false;
    Clock::time_point last_full_log_{};
};

}  // namespace

std::unique_ptr<ProcessModel> make_prefork_model() {
    return std::make_unique<PreforkModel>();
}

}  // namespace forkd::master
