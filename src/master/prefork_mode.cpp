// Prefork mode, as Apache prefork, PHP-FPM and gunicorn sync: a pool of worker processes
// accepts on the shared listeners, each serving one connection at a time.
#include "master/worker_pool.hpp"
#include "os/request_guard.hpp"
#include "worker/serve_loop.hpp"

namespace forkd::master {
namespace {

int serve_as_prefork_worker(Master& master, std::size_t slot, const std::string& label) {
    Server& server = master.server();
    os::install_crash_guard();
    session::Options options = server.options;
    options.guard_requests = true;
    worker::ReporterSettings settings{
        worker::request_quota(server.config.max_requests, server.config.max_requests_jitter),
        server.config.slow_request_log};
    worker::StatusReporter status(label, &master.scoreboard(), slot, settings);
    session::Services services{options, server.router, server.access_log, status};
    std::vector<int> listeners = listener_fds(server.listeners);
    worker::serve_until_stopped(listeners, services, status);
    return 0;
}

}  // namespace

std::unique_ptr<ProcessModel> make_prefork_model() {
    return std::make_unique<WorkerPool>("prefork", "worker", serve_as_prefork_worker);
}

}  // namespace forkd::master
