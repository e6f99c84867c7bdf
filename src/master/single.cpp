// Single mode, the tutorial's first program: one process accepts and serves one connection
// at a time, so everyone waits behind a slow request. No master, no children.
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "base/log.hpp"
#include "master/server.hpp"
#include "os/identity.hpp"
#include "os/request_guard.hpp"
#include "os/signals.hpp"
#include "os/systemd.hpp"
#include "worker/serve_loop.hpp"
#include "worker/serving_process.hpp"

namespace forkd::master {
namespace {

// The one process stands where a master would for `forkd -s` (logrotate's postrotate).
void write_pid_file(const std::string& path) {
    if (path.empty()) return;
    std::ofstream file(path, std::ios::trunc);
    file << ::getpid() << '\n';
    if (!file) throw std::runtime_error("cannot write pid_file " + path);
}

}  // namespace

int run_single(Server& server) {
    write_pid_file(server.config.pid_file);
    // No master stays behind to bind again or reopen the logs as root: the one process
    // drops for good once its listeners and logs are open.
    if (server.identity) os::drop_privileges(*server.identity);
    if (server.config.core_dumps) os::allow_core_dumps();
    os::enter_serving_signal_state();
    os::end_child_group_on(SIGINT);  // no master will end a CGI program it leaves behind
    log::set_role("single");
    server.scoreboard->assign(0, ::getpid(), 0, ipc::SlotRole::worker);
    std::vector<session::ListeningSocket> listeners = listening_sockets(server.listeners);
    {
        // No crash guard: no master would start a process again. Exit hooks run at the
        // block's end, before the process says it stopped.
        worker::ServingProcess process(server.serving_context(),
                                       {.label = "single", .crash_guard = false});
        os::notify_systemd_ready();
        worker::serve_until_stopped(listeners, process.services(), process.status());
    }
    os::notify_systemd_stopping();
    log::info("stopped gracefully");
    remove_socket_files(socket_files_to_remove(server.config, server.listeners));
    if (!server.config.pid_file.empty()) ::unlink(server.config.pid_file.c_str());
    return 0;
}

}  // namespace forkd::master
