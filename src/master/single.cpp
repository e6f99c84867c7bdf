// Single mode, the tutorial's first program: one process accepts and serves one connection
// at a time, so everyone waits behind a slow request. No master, no children.
#include <unistd.h>

#include "base/log.hpp"
#include "master/server.hpp"
#include "os/signals.hpp"
#include "worker/serve_loop.hpp"

namespace forkd::master {

int run_single(Server& server) {
    os::enter_serving_signal_state();
    log::set_role("single");
    server.scoreboard->assign(0, ::getpid(), 0, ipc::SlotRole::worker);
    worker::StatusReporter title("single", server.scoreboard.get(), 0,
                                 {0, server.config.slow_request_log});
    session::Services services{server.options, server.router, server.access_log, title};
    std::vector<int> listeners = listener_fds(server.listeners);
    worker::serve_until_stopped(listeners, services, title);
    log::info("stopped gracefully");
    remove_unix_socket_files(server.config);
    return 0;
}

}  // namespace forkd::master
