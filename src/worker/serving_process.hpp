// What every process that runs handlers sets up after its fork, in one place: the single
// process, each prefork worker, each fork-mode connection child and each hybrid app worker
// (hybrid's io workers have their own loop, front/io_worker.hpp, and run the same hooks).
//
// In order: the crash guard (a crash answers 502 and re-raises; with `guard_requests`, a
// request past request_timeout answers 504 and ends the process), the status reporter
// (process title, scoreboard slot, max_requests), the session services the serving loop
// uses, and the app's on_worker_start hooks. The app's on_worker_exit hooks run when the
// object goes away: the process is leaving normally (a crash or a kill skips them).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "forkd/app.hpp"
#include "ipc/scoreboard.hpp"
#include "session/access_log.hpp"
#include "session/connection.hpp"
#include "worker/status_reporter.hpp"

namespace forkd::worker {

// The FastCGI applications a serving process started and keeps (cgi/spawned_application.hpp):
// stopped when released. An app worker whose applications the io workers also talk to
// restarts one that exits as soon as it does (exit_fds readable, then tend).
class KeptApplications {
  public:
    virtual ~KeptApplications() = default;
    virtual std::vector<int> exit_fds() const = 0;
    virtual void tend() = 0;
};

// The parts of the server a serving process uses; the master's Server lends them.
struct ServingContext {
    const config::Config& config;
    const session::Options& options;
    const Router& router;
    session::AccessLog& access_log;
    ipc::Scoreboard* scoreboard;  // the slot this process writes; null without one
    const App* app;               // whose hooks run; null for none
    // Starts the FastCGI applications of the process in scoreboard slot `slot`; `publish`
    // hears each one's pid, `requests_in_slot` counts the slot's requests. Empty: none.
    std::function<std::unique_ptr<KeptApplications>(
        void (*publish)(pid_t), uint64_t (*requests_in_slot)(), std::size_t slot)>
        start_applications = {};
};

struct ServingRole {
    // "worker 3", "app 1", "conn 127.0.0.1:5000", "single": the caller's, which outlives the
    // ServingProcess (a serving process's name for its whole life).
    std::string_view label;
    std::size_t slot = 0;            // its scoreboard slot
    bool crash_guard = true;         // answer 502 for a crash (single mode: no master to respawn)
    bool guard_requests = false;     // answer 504 at request_timeout and exit (prefork, fork)
    bool recycles = false;           // retire after max_requests (+ jitter)
    bool runs_applications = false;  // starts the spawned FastCGI applications (pools only)
};

class ServingProcess {
  public:
    // Throws what an on_worker_start hook throws: the process then fails its start.
    ServingProcess(const ServingContext& context, const ServingRole& role);
    ~ServingProcess();
    ServingProcess(const ServingProcess&) = delete;
    ServingProcess& operator=(const ServingProcess&) = delete;

    const session::Services& services() const { return services_; }
    StatusReporter& status() { return status_; }
    KeptApplications* applications() { return applications_.get(); }

  private:
    const App* app_;
    session::Options options_;
    StatusReporter status_;
    session::Services services_;
    std::unique_ptr<KeptApplications> applications_;  // released first: stopped before the exit
                                                      // hooks
};

}  // namespace forkd::worker
