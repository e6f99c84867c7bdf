#include "master/pool_plan.hpp"

namespace forkd::master {

PoolPlan plan_pool(const ProcessTable& table, const PoolSettings& settings, const PoolState& state,
                   Clock::time_point /*now*/) {
    PoolPlan plan;
    if (state.stopping) return plan;
    for (int slot = 1; slot <= settings.workers; ++slot) {
        if (table.slot_taken(slot) || state.failed_slots.contains(slot)) continue;
        plan.spawn_slots.push_back(slot);
    }
    return plan;
}

}  // namespace forkd::master
