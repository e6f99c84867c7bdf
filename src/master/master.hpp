// The master: supervises its children and never serves a request (in fork mode it only
// accepts). One epoll loop over a signalfd and a timerfd; signal handlers never act, the
// loop does. Master::run reads top to bottom like gunicorn's Arbiter.run: wait, handle the
// signals, reap the children, watch the living ones, then either let the mode keep its
// pool or carry the stop on.
//
// The mode (fork, prefork, hybrid; single runs without a master) is a ProcessModel; the master
// carries out its requests to fork and retire children and tells it when they exit.
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/fd.hpp"
#include "event/loop.hpp"
#include "master/process_table.hpp"
#include "master/server.hpp"

namespace forkd::master {

class Master;

// What a child runs after the common set-up (its return value is the exit code), given its
// scoreboard slot: a reference to the caller's callable, valid for the call to spawn. Not a
// std::function, which allocates for a lambda capturing more than two pointers, and fork
// mode spawns for every connection.
class ChildMain {
  public:
    template <class Main>
    requires(!std::is_same_v<std::remove_cvref_t<Main>, ChildMain> &&
             std::is_invocable_r_v<int, Main&, std::size_t>)
        ChildMain(Main&& main)  // NOLINT: implicit, from the lambda at the call site
        : main_(std::addressof(main)), call_([](void* target, std::size_t slot) {
              return static_cast<int>((*static_cast<std::remove_reference_t<Main>*>(target))(slot));
          }) {}

    int operator()(std::size_t slot) const { return call_(main_, slot); }

  private:
    void* main_;
    int (*call_)(void* target, std::size_t slot);
};

class ProcessModel {
  public:
    virtual ~ProcessModel() = default;
    virtual const char* name() const = 0;
    // Starts serving: registers listeners or forks the first workers.
    virtual void start(Master& master) = 0;
    // Keeps the pool as the policy wants it; called after every turn of the loop, never
    // while stopping.
    virtual void maintain(Master& master, Clock::time_point now) = 0;
    // A child of this model exited (already reaped and removed from the table).
    virtual void child_exited(Master& master, const Child& child, int status) = 0;
    // The master is stopping: accept nothing more.
    virtual void stop_accepting(Master& master) = 0;
    // A reload put a new configuration (and listener set) in force.
    virtual void reloaded(Master& master) = 0;
    // SIGWINCH during a binary upgrade: stop serving (children leave gracefully) but keep
    // the listeners; resume() is the rollback (SIGHUP).
    virtual void pause(Master& master) = 0;
    virtual void resume(Master& master) = 0;
    // SIGTTIN / SIGTTOU: one process more or fewer (the pool size, or fork's cap).
    virtual void resize(Master& master, int delta) = 0;
    // Whether a graceful stop ends this child only once every other child has gone:
    // hybrid's app workers, which its io workers hand requests to (stopped together, a
    // request an io worker still queued would find no worker and wait out queue_timeout).
    virtual bool stops_after_the_front(const Child&) const { return false; }
};

class Master {
  public:
    explicit Master(Server& server);

    // Runs until stopped; returns the exit code of the master process.
    int run(ProcessModel& model);

    // For the models.
    Server& server() { return server_; }
    event::Loop& loop() { return loop_; }
    const ProcessTable& table() const { return table_; }
    ipc::Scoreboard& scoreboard() { return *server_.scoreboard; }
    bool stopping() const { return stop_ != Stop::none; }
    uint32_t generation() const { return generation_; }
    // Forks a child that runs `child_main(scoreboard slot)` (its return value is the exit
    // code) after the common child set-up; `keep_listeners` false closes them in the child.
    pid_t spawn(Role role, int number, std::string_view label, bool keep_listeners,
                ChildMain child_main);
    // Asks a child to finish its current request and exit (SIGTERM), once; `cause` is what
    // the metrics count its exit as.
    void retire(pid_t pid, const std::string& why, ipc::ExitCause cause = ipc::ExitCause::retired);
    // The mode cannot go on (every worker failed its start): stop with exit code 1.
    void give_up(ProcessModel& model, const std::string& reason);

  private:
    enum class Stop { none, graceful, fast };

    void prepare();
    void on_signal_readable();
    void handle_signals(ProcessModel& model);
    void reap_children(ProcessModel& model);
    void end_program_of(const Child& child);
    void end_orphans();
    void watch_children(Clock::time_point now);
    void begin_stop(ProcessModel& model, Stop kind);
    void stop_gracefully(ProcessModel& model);
    void carry_on_stopping(Clock::time_point now);
    void signal_children(int signal);
    void stop_the_back_once_the_front_is_gone();
    void close_master_fds_in_child(bool keep_listeners);
    void give_logs_to_children_or_say_why();
    bool finished() const { return stop_ != Stop::none && table_.empty(); }

    // master_reload.cpp: SIGHUP, and closing listeners a reload removed.
    void reload(ProcessModel& model);
    void close_retired_listeners();
    void count_exit(const Child& child, int status);
    // master_upgrade.cpp: SIGUSR2, SIGWINCH and the new master's exit.
    void start_upgrade();
    void upgraded_master_exited(int status);
    void pause_for_upgrade(ProcessModel& model);
    void write_pid_file();
    void remove_pid_file();
    void note_old_master();
    bool shares_listeners() const;

    Server& server_;
    event::Loop loop_;
    Fd signal_fd_;
    Fd tick_fd_;
    ProcessTable table_;
    // Signals read, not yet handled: in place, not allocated (the master reads a SIGCHLD per
    // connection in fork mode). More wait in the signalfd, which stays readable.
    std::array<int, 32> pending_signals_{};
    std::size_t pending_count_ = 0;
    pid_t pid_ = 0;
    uint32_t generation_ = 0;
    Stop stop_ = Stop::none;
    Clock::time_point kill_at_{};
    // A graceful stop waiting out shutdown_delay: the health check says 503 meanwhile.
    Clock::time_point delayed_stop_at_ = Clock::time_point::max();
    Clock::time_point next_watch_{};
    bool killed_ = false;
    bool back_held_ = false;  // a graceful stop has not yet signalled stops_after_the_front
    int exit_code_ = 0;
    std::vector<Listener> retired_listeners_;   // removed by a reload, closed once unused
    std::vector<std::string> socket_files_;     // unix socket files to remove at exit
    pid_t new_master_ = 0;                      // a binary upgrade's master, while it lives
    std::vector<pid_t> children_before_start_;  // not ours to end at exit
    pid_t old_master_ = 0;                      // the master whose upgrade started this one
    bool paused_ = false;                       // SIGWINCH: no children until a rollback
    ProcessModel* model_ = nullptr;             // the mode being run
};

// The process models (one file each).
std::unique_ptr<ProcessModel> make_fork_model();
std::unique_ptr<ProcessModel> make_prefork_model();
std::unique_ptr<ProcessModel> make_hybrid_model();

}  // namespace forkd::master
