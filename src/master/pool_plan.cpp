#include "master/pool_plan.hpp"

#include <algorithm>

namespace forkd::master {
namespace {

constexpr int kMaxRamp = 32;  // Apache's MaxSpawnRate

bool is_idle(const WorkerView& w) {
    return w.state == ipc::SlotState::idle;
}
bool is_spare(const WorkerView& w) {
    return w.state == ipc::SlotState::idle || w.state == ipc::SlotState::starting;
}

// The workers of the current generation that are not on their way out.
std::vector<const WorkerView*> current_workers(std::span<const WorkerView> workers,
                                               const PoolState& state) {
    std::vector<const WorkerView*> current;
    for (const WorkerView& w : workers) {
        if (w.generation == state.generation && !w.retiring) current.push_back(&w);
    }
    return current;
}

bool may_start(int number, const PoolState& state, Clock::time_point now) {
    if (state.failed_numbers.contains(number)) return false;
    auto backoff = state.backoff.find(number);
    return backoff == state.backoff.end() || backoff->second.not_before <= now;
}

// The `count` lowest numbers (up to `highest`) that no current worker uses and that may start.
std::vector<int> free_numbers(const std::vector<const WorkerView*>& current, int count, int highest,
                              const PoolState& state, Clock::time_point now) {
    std::set<int> used;
    for (const WorkerView* w : current)
        used.insert(w->number);
    std::vector<int> numbers;
    for (int n = 1; n <= highest && static_cast<int>(numbers.size()) < count; ++n) {
        if (!used.contains(n) && may_start(n, state, now)) numbers.push_back(n);
    }
    return numbers;
}

// How many more workers the memory limit allows, judging by the average worker.
int memory_room(const std::vector<const WorkerView*>& current, const PoolSettings& settings,
                int wanted) {
    if (settings.memory_limit_kb == 0) return wanted;
    uint64_t total = 0;
    uint64_t measured = 0;
    for (const WorkerView* w : current) {
        total += w->pss_kb;
        measured += w->pss_kb > 0 ? 1 : 0;
    }
    if (measured == 0) return wanted;
    uint64_t average = total / measured;
    if (total + average > settings.memory_limit_kb) return 0;
    auto room =
        static_cast<int>((settings.memory_limit_kb - total) / std::max<uint64_t>(average, 1));
    return std::min(wanted, room);
}

void plan_growth(const std::vector<const WorkerView*>& current, const PoolSettings& settings,
                 const PoolState& state, Clock::time_point now, PoolPlan& plan) {
    auto total = static_cast<int>(current.size());
    auto spare =
        static_cast<int>(std::ranges::count_if(current, [](auto* w) { return is_spare(*w); }));
    int wanted = 0;
    switch (settings.pm) {
        case config::Pm::static_pool:
            plan.spawn_numbers =
                free_numbers(current, settings.workers, settings.workers, state, now);
            return;
        case config::Pm::dynamic:
            if (!state.started) {
                plan.spawn_numbers = free_numbers(current, settings.workers - total,
                                                  settings.max_workers, state, now);
                return;
            }
            wanted =
                std::min({state.ramp, settings.min_spare - spare, settings.max_workers - total});
            break;
        case config::Pm::ondemand:
            if (state.connections_waiting && spare == 0) {
                wanted = std::min(state.ramp, settings.max_workers - total);
            }
            break;
    }
    wanted = memory_room(current, settings, std::max(wanted, 0));
    if (wanted <= 0) return;
    plan.spawn_numbers = free_numbers(current, wanted, settings.max_workers, state, now);
    plan.next_ramp = std::min(state.ramp * 2, kMaxRamp);
}

void plan_shrinking(const std::vector<const WorkerView*>& current, const PoolSettings& settings,
                    Clock::time_point now, PoolPlan& plan) {
    if (settings.pm == config::Pm::dynamic) {
        auto idle = std::ranges::count_if(current, [](auto* w) { return is_idle(*w); });
        if (idle <= settings.max_spare) return;
        // One per tick, the highest-numbered idle worker: shrinking is never a herd either.
        const WorkerView* victim = nullptr;
        for (const WorkerView* w : current) {
            if (is_idle(*w) && (victim == nullptr || w->number > victim->number)) victim = w;
        }
        if (victim != nullptr) plan.retire.push_back(victim->pid);
    } else if (settings.pm == config::Pm::ondemand) {
        for (const WorkerView* w : current) {
            if (is_idle(*w) && now - w->idle_since >= settings.idle_timeout) {
                plan.retire.push_back(w->pid);
            }
        }
    }
}

// Old-generation workers leave as their replacements report ready: one per ready worker
// of the same number, and all of them once the new generation is complete.
void plan_generation_change(std::span<const WorkerView> workers,
                            const std::vector<const WorkerView*>& current, const PoolState& state,
                            PoolPlan& plan) {
    bool complete = plan.spawn_numbers.empty() && std::ranges::none_of(current, [](auto* w) {
                        return w->state == ipc::SlotState::starting;
                    });
    std::set<int> ready;
    for (const WorkerView* w : current) {
        if (w->state != ipc::SlotState::starting) ready.insert(w->number);
    }
    for (const WorkerView& w : workers) {
        if (w.generation == state.generation || w.retiring) continue;
        if (complete || ready.contains(w.number)) plan.retire.push_back(w.pid);
    }
}

}  // namespace

PoolSettings PoolSettings::from(const config::Config& config, uint64_t memory_limit_kb) {
    PoolSettings settings;
    settings.pm = config.pm;
    // max_workers is the cap of dynamic and ondemand pools whatever `workers` says (its
    // default, 8, must not lift a max_workers of 2); a dynamic pool starts with at most it.
    settings.max_workers = config.max_workers;
    settings.workers = config.pm == config::Pm::dynamic
                           ? std::min(config.workers, config.max_workers)
                           : config.workers;
    settings.min_spare = config.min_spare;
    settings.max_spare = std::max(config.max_spare, config.min_spare);
    settings.idle_timeout = config.idle_timeout;
    settings.memory_limit_kb = memory_limit_kb;
    return settings;
}

PoolPlan plan_pool(std::span<const WorkerView> workers, const PoolSettings& settings,
                   const PoolState& state, Clock::time_point now) {
    PoolPlan plan;
    if (state.stopping) return plan;
    std::vector<const WorkerView*> current = current_workers(workers, state);
    plan_growth(current, settings, state, now, plan);
    plan_shrinking(current, settings, now, plan);
    plan_generation_change(workers, current, state, plan);

    auto total = static_cast<int>(current.size() + plan.spawn_numbers.size());
    int ceiling = settings.pm == config::Pm::static_pool ? settings.workers : settings.max_workers;
    bool none_idle = std::ranges::none_of(current, [](auto* w) { return is_spare(*w); });
    plan.at_max_workers = total >= ceiling && none_idle && plan.spawn_numbers.empty();
    return plan;
}

Clock::duration crash_backoff(int crashes_in_a_row) {
    if (crashes_in_a_row <= 0) return Clock::duration::zero();
    int doublings = std::min(crashes_in_a_row - 1, 9);
    auto delay = std::chrono::milliseconds(100) * (1 << doublings);
    return std::min<Clock::duration>(delay, std::chrono::seconds(30));
}

}  // namespace forkd::master
