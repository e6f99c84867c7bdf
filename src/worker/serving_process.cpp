#include "worker/serving_process.hpp"

#include "os/request_guard.hpp"

namespace forkd::worker {
namespace {

ReporterSettings reporter_settings(const config::Config& config, bool recycles) {
    uint64_t quota = recycles ? request_quota(config.max_requests, config.max_requests_jitter) : 0;
    return {quota, config.slow_request_log};
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
    if (app_ != nullptr) app_->run_worker_start_hooks();
}

ServingProcess::~ServingProcess() {
    if (app_ != nullptr) app_->run_worker_exit_hooks();
}

}  // namespace forkd::worker
