// A pool of long-lived worker processes, as Apache prefork, PHP-FPM and gunicorn keep:
// prefork mode's whole model, and the app-worker half of hybrid mode. plan_pool decides who
// starts and who retires, from the process table and the scoreboard; the pool carries the
// plan out and keeps the books plan_pool reads (crash back-off, failed starts, generations).
// What a worker runs is the pool's WorkerMain.
#pragma once

#include <functional>
#include <string>

#include "master/master.hpp"
#include "master/pool_plan.hpp"

namespace forkd::master {

class WorkerPool final : public ProcessModel {
  public:
    // Runs in the forked worker: returns its exit code.
    using WorkerMain =
        std::function<int(Master& master, std::size_t slot, const std::string& label)>;

    // `keeps_listeners`: prefork workers accept; hybrid's app workers never touch them.
    WorkerPool(const char* name, const char* label_prefix, WorkerMain main,
               bool keeps_listeners = true);

    const char* name() const override { return name_; }
    void start(Master& master) override;
    void maintain(Master& master, Clock::time_point now) override;
    void child_exited(Master& master, const Child& child, int status) override;
    void stop_accepting(Master&) override { state_.stopping = true; }
    void reloaded(Master& master) override;
    void pause(Master& master) override;
    void resume(Master&) override;
    void resize(Master& master, int delta) override;

    // Ondemand pools grow only while connections wait (hybrid: in the io workers' queues).
    void set_connections_waiting(bool waiting) { connections_waiting_ = waiting; }

  private:
    std::vector<WorkerView> worker_views(Master& master, Clock::time_point now) const;
    void spawn_worker(Master& master, int number);
    void note_crash(const Child& child, int status);
    void report_full_pool(Master& master, bool full, Clock::time_point now);
    void retire_highest_numbered(Master& master);

    const char* name_;
    const char* label_prefix_;
    WorkerMain main_;
    bool keeps_listeners_;
    PoolState state_;
    uint64_t memory_limit_kb_ = 0;
    bool connections_waiting_ = false;
    bool was_full_ = false;
    Clock::time_point last_full_log_{};
};

}  // namespace forkd::master
