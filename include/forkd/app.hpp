// forkd's embedding API: an application and the server that runs it.
//
//     forkd::App app;
//     app.get("/hello/{name}", [](const forkd::Request& r) {
//         return forkd::Response::text("hello " + r.param("name"));   // an app worker runs it
//     });
//     app.get("/health", health, forkd::inline_);                      // the io worker runs it
//     return forkd::run(argc, argv, app);
//
// forkd::run is the whole `forkd` program around the app: every flag, the TOML file,
// signals, the four modes and the process manager. Handlers are blocking unless told
// otherwise, so they run in processes that serve one request at a time: a handler that
// crashes, hangs, leaks or is not thread-safe costs one request (502, 504, a recycled
// worker), never the server.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "forkd/handler.hpp"

namespace forkd {

// forkd's own routes, whose paths and settings come from the configuration and follow it
// at every reload.
enum class Builtin {
    status,        // status_path and health_path (and the test-only routes when enabled)
    demo,          // the tutorial's `/` and `/?sleep` (only while no `root` is set)
    static_files,  // `root` (prefix "/"), `locations`, and the CGI programs (`cgi`, ...)
};

class App {
  public:
    using Hook = std::function<void()>;

    App& get(std::string pattern, HandlerFunction handler, Dispatch dispatch = blocking);
    App& get(std::string pattern, HandlerFunction handler, DispatchRule rule);
    App& post(std::string pattern, HandlerFunction handler, Dispatch dispatch = blocking);
    App& put(std::string pattern, HandlerFunction handler, Dispatch dispatch = blocking);
    App& patch(std::string pattern, HandlerFunction handler, Dispatch dispatch = blocking);
    App& del(std::string pattern, HandlerFunction handler, Dispatch dispatch = blocking);
    // Any method ("" for every method: the handler answers 405 itself where it must).
    App& route(std::string method, std::string pattern, HandlerFunction handler,
               Dispatch dispatch = blocking);
    App& route(std::string method, std::string pattern, std::shared_ptr<Handler> handler);

    // Where forkd's own routes go among the app's. An app that places none gets `status`
    // before its routes and `static_files` after them; the demo only where it is placed.
    App& mount(Builtin builtin);

    // Once, in the process that starts the server, before the first fork: load what every
    // worker shares copy-on-write. The process must have one thread after it (no threads in
    // a process that forks): forkd refuses to start otherwise. A binary upgrade runs it again
    // in the new program; a reload (SIGHUP) does not.
    App& on_preload(Hook hook);
    // In every process that will run this app's handlers, once after it starts (app
    // workers, io workers, prefork workers, each fork-mode child, the single process):
    // open a database connection, initialise a library that is not fork-safe.
    App& on_worker_start(Hook hook);
    // In the same processes, when they leave normally (not when they crash or are killed).
    App& on_worker_exit(Hook hook);

    // The page for a status forkd answers itself (404, 405, 500, 502, 503, 504): a fixed
    // body, sent with that status. Set before run().
    App& error_page(int status, std::string body,
                    std::string content_type = "text/html; charset=utf-8");

    // One entry per route or mount, in order.
    struct Entry {
        Route route;  // when !is_builtin
        Builtin builtin = Builtin::status;
        bool is_builtin = false;
    };
    const std::vector<Entry>& entries() const { return entries_; }
    bool mounts(Builtin builtin) const;
    bool places_builtins() const;
    // The app's own routes (no builtins), as a router: for tests and forkd::testing.
    Router router() const;

    // The hooks, in the order they were added. A preload or start hook's exception reaches
    // the caller (the process fails its start); an exit hook's is logged and the next runs.
    void run_preload_hooks() const;
    void run_worker_start_hooks() const;
    void run_worker_exit_hooks() const noexcept;
    struct ErrorPage {
        int status = 0;
        std::string body;
        std::string content_type;
    };
    const std::vector<ErrorPage>& error_pages() const { return error_pages_; }

  private:
    std::vector<Entry> entries_;
    std::vector<Hook> preload_, worker_start_, worker_exit_;
    std::vector<ErrorPage> error_pages_;
};

// Runs `app` as the forkd program: parses the flags (forkd --help), loads the configuration,
// binds the listeners and serves in the configured mode until stopped. Returns the exit code
// for main(). Startup failures are one line on stderr and exit code 1.
int run(int argc, char** argv, App& app);

// This library's version, "0.1.0".
const char* version();

}  // namespace forkd
