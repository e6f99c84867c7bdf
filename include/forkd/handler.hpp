// forkd's embedding API: handlers and the routes that name them.
//
// A handler turns a Request into a Response. It also says how it must be run: `inline`
// handlers never block (no sleeps, no waits on other processes, bounded work) and may run
// in an event loop that serves thousands of connections; `blocking` handlers may take as
// long as they like and always run in a process that serves one request at a time. The
// choice is per request, so one route may be inline for some requests and blocking for
// others (the demo's `/` is inline, `/?sleep` is blocking).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forkd/request.hpp"
#include "forkd/response.hpp"

namespace forkd {

enum class Dispatch { inline_, blocking };

class Handler {
  public:
    virtual ~Handler() = default;
    // How this request must be run. Must itself be cheap and never block.
    virtual Dispatch dispatch(const Request&) const { return Dispatch::blocking; }
    virtual Response handle(const Request& request) = 0;
};

using HandlerFunction = std::function<Response(const Request&)>;

// Wraps a plain function as a handler with a fixed dispatch.
std::shared_ptr<Handler> make_handler(Dispatch dispatch, HandlerFunction function);

struct Route {
    enum class Match { exact, prefix };
    std::string path;  // "/status" (exact) or "/static/" (prefix)
    Match match = Match::exact;
    std::shared_ptr<Handler> handler;

    bool matches(std::string_view request_path) const;
};

// Routes in the order they were added; the first match wins.
class Router {
  public:
    void add(Route route);
    void add(std::string path, Route::Match match, std::shared_ptr<Handler> handler);
    // The handler for `path`, or nullptr (the server answers 404).
    Handler* find(std::string_view path) const;
    bool empty() const { return routes_.empty(); }

  private:
    std::vector<Route> routes_;
};

}  // namespace forkd
