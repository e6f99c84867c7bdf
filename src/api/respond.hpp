// Turns a parsed request into a response with the application's routes: the one place that
// answers `OPTIONS *`, a path nobody serves (404), a path served only for other methods (405
// with Allow) and a handler that throws (500, logged with the route and what()). Used
// wherever a handler runs: the blocking session, hybrid's io and app workers, and
// forkd::testing.
#pragma once

#include "forkd/handler.hpp"

namespace forkd::api {

// Finds the route for `request` and records its pattern and parameters in it. `OPTIONS *`
// matches no route.
RouteMatch route_request(const Router& router, Request& request);

// The matched handler's response, or the one forkd gives itself. A local redirect
// (Response::local_redirect) is followed here through `router`, as a GET of its target.
Response respond(const Router& router, const RouteMatch& match, const Request& request);

// The request a local redirect (a CGI `Location` of a local path, RFC 3875 §6.2.2) makes of
// `request`: a GET of `target`, same headers, no body. respond() follows up to 10 of them.
Request redirected(const Request& request, std::string_view target);
// Beyond this many local redirects in a row the request gets 500 (a loop).
inline constexpr int kMaxLocalRedirects = 10;

inline Response respond(const Router& router, Request& request) {
    return respond(router, route_request(router, request), request);
}

}  // namespace forkd::api
