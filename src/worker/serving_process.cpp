#include "worker/serving_process.hpp"

#include "os/request_guard.hpp"

namespace forkd::worker {
namespace {

ReporterSettings reporter_settings(const config::Config& config, bool recycles) {
    uint64_t quota = recycles ? request_quota(config.max_requests, config.max_requests_jitter) : 0;
    return {quota, config.slow_request_log, !config.metrics_path.empty()};
}

// Where this process publishes the process group of the program its request runs (a CGI
// script's), for the master to end should this process die first. One per process.
ipc::Scoreboard* g_scoreboard = nullptr;
std::size_t g_slot = 0;

void publish_child_group(pid_t group) {
    if (g_scoreboard != nullptr) g_scoreboard->set_child_group(g_slot, group);
}

void publish_application(pid_t pid) {
    if (g_scoreboard != nullptr) g_scoreboard->set_application(g_slot, pid);
}

uint64_t requests_in_slot() {
    return g_scoreboard != nullptr ? g_scoreboard->read(g_slot).requests : 0;
}

}  // namespace

ServingProcess::ServingProcess(const ServingContext& context, const ServingRole& role)
    : app_(context.app),
      options_(context.options),
      status_(role.label, context.scoreboard, role.slot,
              reporter_settings(context.config, role.recycles)),
      services_{options_, context.router, context.access_log, status_} {
    if (role.crash_guard) os::install_crash_guard();
    options_.guard_requests = role.guard_requests;
    g_scoreboard = context.scoreboard;
    g_slot = role.slot;
    os::observe_child_group(publish_child_group);
    if (role.runs_applications && context.start_applications)
        applications_ =
            context.start_applications(publish_application, requests_in_slot, role.slot);
    if (app_ != nullptr) app_->run_worker_start_hooks();
}

ServingProcess::~ServingProcess() {
    applications_.reset();
    if (app_ != nullptr) app_->run_worker_exit_hooks();
}

}  // namespace forkd::worker
