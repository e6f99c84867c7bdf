// forkd::run (include/forkd/app.hpp): the whole forkd program around an app. Parses the
// configuration, opens the logs and the listeners, builds every process's routes from the
// app and the configuration, runs the app's preload hooks and hands over to the mode. Every
// startup failure is one clear line and exit code 1.
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>

#include "api/error_pages.hpp"
#include "base/log.hpp"
#include "config/config_loader.hpp"
#include "config/settings.hpp"
#include "forkd/app.hpp"
#include "forkd/version.hpp"
#include "http/response_head.hpp"
#include "master/server.hpp"
#include "os/identity.hpp"
#include "os/process.hpp"
#include "os/process_info.hpp"
#include "os/process_title.hpp"
#include "os/request_guard.hpp"
#include "os/signals.hpp"
#include "os/systemd.hpp"
#include "session/kept_storage.hpp"

namespace forkd {
namespace {

// Settings the user gave that the chosen mode does not use are named, never silently ignored.
void warn_about_unused_settings(const config::Config& config) {
    for (const std::string& key : config.keys_set) {
        if (!config::applies_to(key, config.mode)) {
            log::warn("{} does not apply to mode {}; it is ignored", key,
                      config::to_string(config.mode));
        }
    }
    if (os::running_as_root() && config.user.empty()) {
        log::warn("running as root without a `user` setting: every process keeps root rights");
    }
}

// forkd -s reload|reopen|stop|quit: signal the master named by pid_file, as nginx -s.
int signal_running_master(const config::Config& config, const std::string& action) {
    if (config.pid_file.empty()) {
        std::fprintf(stderr, "forkd: -s %s needs pid_file to find the master\n", action.c_str());
        return 1;
    }
    std::ifstream file(config.pid_file);
    pid_t pid = 0;
    if (!(file >> pid) || pid <= 0) {
        std::fprintf(stderr, "forkd: no master pid in %s\n", config.pid_file.c_str());
        return 1;
    }
    int signal = action == "reload"   ? SIGHUP
                 : action == "reopen" ? SIGUSR1
                 : action == "stop"   ? SIGINT
                                      : SIGQUIT;
    if (!os::send_signal(pid, signal)) {
        std::perror(("forkd: cannot signal " + std::to_string(pid)).c_str());
        return 1;
    }
    return 0;
}

std::string absolute_binary_path(const char* argv0) {
    char resolved[PATH_MAX];
    if (::realpath(argv0, resolved) != nullptr) return resolved;
    if (::realpath("/proc/self/exe", resolved) != nullptr) return resolved;
    return argv0;
}

// Listening sockets handed over by an old master (binary upgrade) or by systemd (socket
// activation); an old master names those it had from systemd among the ones it hands over.
std::vector<master::Listener> inherited_listeners() {
    std::vector<int> fds = os::take_inherited_fds(master::kInheritedListenersVariable);
    std::vector<int> systemd_fds = os::take_inherited_fds(master::kSystemdListenersVariable);
    for (int fd : os::systemd_listen_fds())
        systemd_fds.push_back(fd);
    return master::adopt_listeners(fds, systemd_fds);
}

// Threads do not survive fork, and locks they hold stay held in every child: a process
// that forks must have one thread. The preload hooks are where one would be started.
void refuse_threads_before_fork() {
    std::error_code error;
    auto tasks = std::filesystem::directory_iterator("/proc/self/task", error);
    if (error) return;  // no /proc: nothing to check with
    auto count = std::distance(begin(tasks), end(tasks));
    if (count > 1) {
        throw std::runtime_error(
            "the process has " + std::to_string(count) +
            " threads before its first fork (an on_preload hook or code before forkd::run "
            "started them); a process that forks must have one: threads do not survive fork "
            "and the locks they hold stay held in every child. Start threads in "
            "on_worker_start instead");
    }
}

// A whole HTTP/1.1 response that closes the connection, as a crash handler sends it.
std::string closing_response(int status, std::string_view detail) {
    Response response = Response::error(status, detail);
    auto& body = std::get<std::string>(response.body);
    return http::serialize_head(response, {11, false, true, std::time(nullptr)}) + body;
}

// The app's error pages for every process: Response::error uses them, and the signal
// handlers that answer a crash (502) or a request past request_timeout (504) send them.
void install_error_pages(const App& app) {
    std::vector<api::ErrorPage> pages;
    for (const App::ErrorPage& page : app.error_pages()) {
        pages.push_back({page.status, page.body, page.content_type});
    }
    api::set_error_pages(std::move(pages));
    if (api::error_page_for(502) != nullptr || api::error_page_for(504) != nullptr) {
        os::set_guard_answers(
            closing_response(502, "The worker serving this request failed."),
            closing_response(504, "The request took longer than request_timeout."));
    }
}

int start(int argc, char** argv, App& app) {
    // First, while the heap is young, so that its pieces lie together: a fork-mode child
    // writes to each page of them (session/kept_storage.hpp). Given its limits later.
    session::prepare_kept_storage(http::Limits{});
    std::vector<std::string> arguments(argv, argv + argc);
    std::string binary_path = absolute_binary_path(argv[0]);
    os::init_process_title(argc, argv);
    config::Invocation invocation = config::load_config(argc, argv);
    if (invocation.show_help) {
        std::fputs(invocation.help_text.c_str(), stdout);
        return 0;
    }
    if (invocation.show_version) {
        std::printf("forkd %s\n", FORKD_VERSION_STRING);
        return 0;
    }
    if (!invocation.signal.empty())
        return signal_running_master(invocation.config, invocation.signal);
    // A user or group that does not exist is a configuration error, for `forkd -t` too.
    master::identity_for(invocation.config);
    if (invocation.test_only) {
        std::printf("forkd: the configuration %s is valid\n", invocation.config_path.empty()
                                                                  ? "(defaults and flags)"
                                                                  : invocation.config_path.c_str());
        return 0;
    }
    // Until the master's signalfd reads them, a signal must wait rather than kill or stop us.
    os::block_master_signals();
    master::Server server;
    server.arguments = std::move(arguments);
    server.binary_path = std::move(binary_path);
    const config::Config& config = invocation.config;
    master::open_error_log(config);
    warn_about_unused_settings(config);
    uint64_t open_files = os::raise_open_files_limit();
    log::debug("open files limit: {}", open_files);
    server.scoreboard = std::make_unique<ipc::Scoreboard>(master::scoreboard_slots(config));
    std::vector<master::Listener> unused;
    server.listeners = master::open_listeners(config, inherited_listeners(), &unused);
    for (const master::Listener& listener : unused) {
        log::warn("inherited socket {} is not in listen; closed", listener.address);
    }
    server.app = &app;
    master::apply_config(server, std::move(invocation.config));
    server.identity = master::children_identity(server.config);
    master::give_logs_to_children(server);
    install_error_pages(app);
    app.run_preload_hooks();
    refuse_threads_before_fork();
    log::info("forkd {} serving in {} mode", FORKD_VERSION_STRING,
              config::to_string(server.config.mode));
    return master::run(server);
}

}  // namespace

int run(int argc, char** argv, App& app) {
    try {
        return start(argc, argv, app);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "forkd: %s\n", e.what());
    }
    return 1;
}

}  // namespace forkd
