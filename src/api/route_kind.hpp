// What kind of route answered a request, for the metrics: a bounded label, never a path.
//
// The serving process knows whether it ran a handler inline or blocking; only the handler
// knows that it sent a file or ran a program. So the handlers that do (static files, CGI,
// FastCGI) note it while they handle a request, and whoever answered takes the note once
// the response is made. A process serves one request at a time on one thread, so one
// note per process is enough; taking it clears it for the next request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "forkd/handler.hpp"

namespace forkd::api {

enum class RouteKind : uint8_t {
    none,          // no handler: 404, 405, `OPTIONS *`, a request that could not be parsed
    inline_,       // a handler run inline (hybrid: in the io worker)
    blocking,      // a handler run blocking (hybrid: in an app worker)
    static_files,  // the static files of `root` (and their autoindex)
    cgi,           // a CGI program
    fastcgi,       // a FastCGI application
};
inline constexpr std::size_t kRouteKinds = 6;

// "none", "inline", "blocking", "static", "cgi", "fastcgi".
std::string_view to_string(RouteKind kind);

// Called by a handler while it handles a request: the kind it turned out to be.
void note_route_kind(RouteKind kind);

// The kind of the request just answered: what its handler noted, else `dispatched`. Clears
// the note. Call once after every response made by a handler.
RouteKind take_route_kind(RouteKind dispatched);
// The same when the caller did not ask the handler how to run it: what `handler` (null:
// none) noted, else how it dispatches `request` (asked only then).
RouteKind take_route_kind(const Handler* handler, const Request& request);

}  // namespace forkd::api
