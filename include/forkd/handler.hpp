// forkd's embedding API: handlers and the routes that name them.
//
// A handler turns a Request into a Response. It also says how it must be run: `inline`
// handlers never block (no sleeps, no waits on other processes, bounded work) and run in an
// io worker's event loop that serves thousands of connections; `blocking` handlers may take
// as long as they like and always run in a process that serves one request at a time. The
// choice is per request, so one route may be inline for some requests and blocking for
// others (the demo's `/` is inline, `/?sleep` is blocking).
//
// An inline handler shares its process with every connection of that io worker: a crash
// there drops them all. Only code that cannot crash or hang belongs inline.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forkd/request.hpp"
#include "forkd/response.hpp"

namespace forkd {

enum class Dispatch { inline_, blocking };
inline constexpr Dispatch inline_ = Dispatch::inline_;
inline constexpr Dispatch blocking = Dispatch::blocking;

class Handler {
  public:
    virtual ~Handler() = default;
    // How this request must be run. Must itself be cheap and never block.
    virtual Dispatch dispatch(const Request&) const { return Dispatch::blocking; }
    virtual Response handle(const Request& request) = 0;
};

using HandlerFunction = std::function<Response(const Request&)>;
// Chooses inline or blocking per request (cheap, never blocking).
using DispatchRule = std::function<Dispatch(const Request&)>;

// Wraps a plain function as a handler with a fixed dispatch, or one chosen per request.
std::shared_ptr<Handler> make_handler(Dispatch dispatch, HandlerFunction function);
std::shared_ptr<Handler> make_handler(DispatchRule rule, HandlerFunction function);

// A path pattern: literal segments, `{name}` for one segment, and at the end `{name...}` or
// `*` for the rest of the path (zero or more segments). "/hello/{name}", "/files/{path...}".
// A pattern ending in '/' matches only paths ending in '/'.
struct Route {
    enum class Match { pattern, exact, prefix };
    std::string method;  // "GET", "POST", ...; "" for any method (the handler decides)
    std::string path;    // the pattern (Match::pattern), or a literal path / prefix
    Match match = Match::pattern;
    std::shared_ptr<Handler> handler;
};

// What the router found for a method and a path.
struct RouteMatch {
    Handler* handler = nullptr;  // nullptr: 405 when `allow` is set, else 404
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;  // for a 405: the methods the path has, "GET, HEAD, POST"
};

// Routes in the order they were added; the first route whose path and method match wins.
// A GET route answers HEAD too. A path that matches only routes of other methods is a 405.
class Router {
  public:
    // Throws std::invalid_argument for a malformed pattern (a "{" without "}", a wildcard
    // before the end, a parameter name used twice).
    void add(Route route);
    void add(std::string path, Route::Match match, std::shared_ptr<Handler> handler);
    RouteMatch match(std::string_view method, std::string_view path) const;
    // The handler for `path` with any method, or nullptr.
    Handler* find(std::string_view path) const { return match("", path).handler; }
    bool empty() const { return routes_.empty(); }
    const std::vector<Route>& routes() const { return routes_; }

    struct CompiledPattern;  // router.cpp

  private:
    std::vector<Route> routes_;
    std::vector<std::shared_ptr<const CompiledPattern>>
        compiled_;  // per route; null unless a pattern
};

}  // namespace forkd
