// Pool policy as a pure function of the process table, the settings and the clock: which
// worker slots to (re)start now. Tested without forking. The process-manager issue grows
// it (dynamic and ondemand pools, spawn ramps, crash back-off); the master only carries out
// the plan.
#pragma once

#include <set>
#include <vector>

#include "master/process_table.hpp"

namespace forkd::master {

struct PoolSettings {
    int workers = 8;  // static pool size
};

struct PoolState {
    std::set<int> failed_slots;  // slots whose worker failed its own start: not respawned
    bool stopping = false;
};

struct PoolPlan {
    std::vector<int> spawn_slots;  // slot numbers to start a worker in, ascending
};

PoolPlan plan_pool(const ProcessTable& table, const PoolSettings& settings, const PoolState& state,
                   Clock::time_point now);

}  // namespace forkd::master
