// Pool policy as a pure function of the workers (process table + scoreboard), the settings
// and the clock: which workers to start and which to retire now. Tested without forking; the
// master only carries the plan out.
//
//   static    `workers` workers, numbered 1..workers, each replaced when it exits.
//   dynamic   `workers` at start, then between min_spare and max_spare idle ones, never more
//             than max_workers (Apache's MinSpareServers/MaxSpareServers, PHP-FPM's dynamic).
//   ondemand  none at start; one more while connections wait and no worker is idle, up to
//             max_workers; idle ones retire after idle_timeout (PHP-FPM's ondemand).
//
// Growth ramps like Apache's (1, 2, 4, ... 32 per tick while still short), never a herd at
// once. A worker number that keeps crashing before it serves anything is restarted after an
// exponential back-off (WorkerPool keeps it), and one that failed its own start is not
// restarted. Workers of an older generation (before a
// reload) are retired as the new generation becomes ready.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <vector>

#include "config/config.hpp"
#include "ipc/scoreboard.hpp"
#include "master/process_table.hpp"

namespace forkd::master {

struct PoolSettings {
    config::Pm pm = config::Pm::static_pool;
    int workers = 8;
    int max_workers = 32;
    int min_spare = 2;
    int max_spare = 8;
    Clock::duration idle_timeout = std::chrono::seconds(10);
    uint64_t memory_limit_kb = 0;  // 0: none

    static PoolSettings from(const config::Config& config, uint64_t memory_limit_kb);
};

// One live worker as the plan sees it.
struct WorkerView {
    pid_t pid = 0;
    int number = 0;
    uint32_t generation = 0;
    ipc::SlotState state = ipc::SlotState::starting;
    Clock::time_point idle_since{};
    uint64_t pss_kb = 0;
    bool retiring = false;  // already told to stop
};

struct Backoff {
    int crashes = 0;  // in a row
    Clock::time_point not_before{};
};

struct PoolState {
    uint32_t generation = 0;
    bool started = false;  // the first plan of this generation has been carried out
    bool stopping = false;
    bool connections_waiting = false;  // ondemand: the listen queue is not empty
    int ramp = 1;                      // workers a growth step may start
    std::set<int> failed_numbers;
    std::map<int, Backoff> backoff;
};

struct PoolPlan {
    std::vector<int> spawn_numbers;  // ascending
    std::vector<pid_t> retire;       // graceful: finish the current request, then exit
    bool at_max_workers = false;     // every worker busy and no room to grow
    int next_ramp = 1;
};

PoolPlan plan_pool(std::span<const WorkerView> workers, const PoolSettings& settings,
                   const PoolState& state, Clock::time_point now);

// The back-off after a crash: 100 ms, doubling per crash in a row, at most 30 s.
Clock::duration crash_backoff(int crashes_in_a_row);

}  // namespace forkd::master
