// A pool of long-lived worker processes, as Apache prefork, PHP-FPM and gunicorn keep:
// prefork mode's whole model, and the app-worker half of hybrid mode. plan_pool decides who
// starts and who retires, from the process table and the scoreboard; the pool carries the
// plan out and keeps the books plan_pool reads (crash back-off, failed starts, generations).
// What a worker runs is the pool's WorkerMain.
//
// The pool asks its host (the master, through an adapter) to fork and retire, and reads the
// process table and scoreboard through it: a unit test drives the pool with a fake host
// that records instead of forking.
#pragma once

#include <functional>
#include <string>

#include "master/master.hpp"
#include "master/pool_plan.hpp"

namespace forkd::master {

// What the pool needs of the master: the books it reads and the three things it asks for.
class PoolHost {
  public:
    virtual ~PoolHost() = default;
    virtual const ProcessTable& table() const = 0;
    virtual ipc::Scoreboard& scoreboard() = 0;
    virtual config::Config& config() = 0;  // resize changes the pool size in it
    virtual uint32_t generation() const = 0;
    virtual bool stopping() const = 0;
    // Starts worker `number`, labelled `label`; throws std::runtime_error when it cannot.
    virtual void spawn(int number, const std::string& label) = 0;
    // Asks a worker to finish its request and exit, once.
    virtual void retire(pid_t pid, const std::string& why) = 0;
    // The pool cannot go on (every worker failed its start): the server stops, exit code 1.
    virtual void give_up(const std::string& reason) = 0;
};

class WorkerPool final : public ProcessModel {
  public:
    // Runs in the forked worker: returns its exit code.
    using WorkerMain =
        std::function<int(Master& master, std::size_t slot, const std::string& label)>;

    // `keeps_listeners`: prefork workers accept; hybrid's app workers never touch them.
    WorkerPool(const char* name, const char* label_prefix, WorkerMain main,
               bool keeps_listeners = true);

    // As a ProcessModel: each runs the PoolHost version below with the master as the host.
    const char* name() const override { return name_; }
    void start(Master& master) override;
    void maintain(Master& master, Clock::time_point now) override;
    void child_exited(Master& master, const Child& child, int status) override;
    void stop_accepting(Master&) override { state_.stopping = true; }
    void reloaded(Master& master) override;
    void pause(Master& master) override;
    void resume(Master&) override;
    void resize(Master& master, int delta) override;

    // The pool over any host.
    void start(PoolHost& host);
    void maintain(PoolHost& host, Clock::time_point now);
    // A worker of this pool was reaped (already out of the table; `child.last_slot` read).
    void child_exited(PoolHost& host, const Child& child, int status);
    void reloaded(PoolHost& host);
    void pause(PoolHost& host);
    void resize(PoolHost& host, int delta);

    // Ondemand pools grow only while connections wait (hybrid: in the io workers' queues).
    void set_connections_waiting(bool waiting) { connections_waiting_ = waiting; }

  private:
    std::vector<WorkerView> worker_views(PoolHost& host, Clock::time_point now) const;
    void spawn_worker(PoolHost& host, int number);
    void note_crash(const Child& child, int status);
    void report_full_pool(PoolHost& host, bool full, Clock::time_point now);
    void retire_highest_numbered(PoolHost& host);

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
