#include <unistd.h>

#include <algorithm>

#include "cgi/cgi_handler.hpp"
#include "handlers/demo.hpp"
#include "handlers/static_files.hpp"
#include "handlers/status.hpp"
#include "master/master.hpp"
#include "os/journal_sink.hpp"

namespace forkd::master {

namespace {

void add_builtin(Router& router, Builtin builtin, const config::Config& config,
                 const ipc::Scoreboard* scoreboard) {
    switch (builtin) {
        case Builtin::status:
            handlers::add_builtin_routes(router, config, scoreboard);
            break;
        case Builtin::demo:
            if (config::wants_demo_routes(config)) handlers::add_demo_routes(router, config.demo);
            break;
        case Builtin::static_files:
            // CGI prefixes first: a `cgi` directory may sit inside the root.
            cgi::add_cgi_routes(router, config);
            if (!config.root.empty()) {
                router.add("/", Route::Match::prefix,
                           cgi::with_interpreters(
                               config, std::make_shared<handlers::StaticFilesHandler>(config)));
            }
            break;
    }
}

class KeptSpawnedApplications final : public worker::KeptApplications {
  public:
    KeptSpawnedApplications(std::vector<cgi::SpawnSpec> specs, void (*publish)(pid_t),
                            uint64_t (*requests_in_slot)(), const std::string& socket_directory,
                            std::size_t slot)
        : applications_(std::move(specs), publish, socket_directory, slot, requests_in_slot) {
        applications_.start_all();
    }
    std::vector<int> exit_fds() const override { return applications_.exit_fds(); }
    void tend() override { applications_.tend_all(); }

  private:
    cgi::SpawnedApplications applications_;
};

}  // namespace

worker::ServingContext Server::serving_context() {
    worker::ServingContext context{config, options, router, access_log, scoreboard.get(), app};
    std::vector<cgi::SpawnSpec> specs = cgi::spawn_specs(config);
    if (!specs.empty()) {
        context.start_applications = [specs, directory = application_sockets](
                                         void (*publish)(pid_t), uint64_t (*requests_in_slot)(),
                                         std::size_t slot) {
            return std::make_unique<KeptSpawnedApplications>(specs, publish, requests_in_slot,
                                                             directory, slot);
        };
    }
    return context;
}

Router build_router(const App* app, const config::Config& config,
                    const ipc::Scoreboard* scoreboard) {
    Router router;
    bool placed = app != nullptr && app->places_builtins();
    if (!placed) add_builtin(router, Builtin::status, config, scoreboard);
    if (app != nullptr) {
        for (const App::Entry& entry : app->entries()) {
            if (entry.is_builtin) {
                add_builtin(router, entry.builtin, config, scoreboard);
            } else {
                router.add(entry.route);
            }
        }
    }
    if (!placed) add_builtin(router, Builtin::static_files, config, scoreboard);
    return router;
}

void apply_config(Server& server, config::Config config) {
    session::AccessLog access_log;
    if (!config.access_log.empty()) {
        access_log = session::AccessLog(config.access_log, config.access_log_format);
    }
    Router router = build_router(server.app, config, server.scoreboard.get());
    server.options = session::Options::from(config);
    server.access_log = std::move(access_log);
    server.router = std::move(router);
    server.config = std::move(config);
}

log::Level to_log_level(config::LogLevel level) {
    switch (level) {
        case config::LogLevel::debug:
            return log::Level::debug;
        case config::LogLevel::info:
            return log::Level::info;
        case config::LogLevel::warn:
            return log::Level::warn;
        case config::LogLevel::error:
            return log::Level::error;
    }
    return log::Level::info;
}

void open_error_log(const config::Config& config) {
    log::Level level = to_log_level(config.log_level);
    if (!config::logs_to_journal(config)) return log::open(config.error_log, level);
    try {
        log::open(std::make_shared<os::JournalSink>(config.journal_socket), level);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("cannot open error_log journald: ") + e.what());
    }
}

int io_worker_count(const config::Config& config) {
    if (config.io_workers > 0) return config.io_workers;
    return std::max(1, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
}

std::size_t scoreboard_slots(const config::Config& config) {
    switch (config.mode) {
        case config::Mode::single:
            return 1;
        case config::Mode::fork:
            return static_cast<std::size_t>(config.max_children) + 1;
        case config::Mode::prefork:
        case config::Mode::hybrid:
            break;
    }
    // Room for max_workers even in a static pool: a reload may grow it up to there.
    auto pool = static_cast<std::size_t>(std::max(config.workers, config.max_workers));
    // Hybrid's io workers: two generations of them at most, during a reload.
    std::size_t io = config.mode == config::Mode::hybrid
                         ? 2 * static_cast<std::size_t>(io_worker_count(config))
                         : 0;
    return 2 * pool + io + 2;
}

int run(Server& server) {
    std::unique_ptr<ProcessModel> model;
    switch (server.config.mode) {
        case config::Mode::single:
            return run_single(server);
        case config::Mode::fork:
            model = make_fork_model();
            break;
        case config::Mode::prefork:
            model = make_prefork_model();
            break;
        case config::Mode::hybrid:
            model = make_hybrid_model();
            break;
    }
    Master master(server);
    return master.run(*model);
}

}  // namespace forkd::master
