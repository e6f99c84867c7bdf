#include "api/respond.hpp"

#include <exception>

#include "base/log.hpp"

namespace forkd::api {
namespace {

std::string route_name(const Request& request) {
    return request.route.empty() ? request.path : request.route;
}

}  // namespace

RouteMatch route_request(const Router& router, Request& request) {
    if (request.target == "*") return {};
    RouteMatch match = router.match(request.method, request.path);
    if (match.route != nullptr) {
        request.route = match.route->path;
        request.params = std::move(match.params);
    }
    return match;
}

Response respond(const RouteMatch& match, const Request& request) {
    if (request.target == "*") {
        Response response = Response::text(request.method == "OPTIONS" ? 200 : 400, "");
        response.headers.set("Allow", "GET, HEAD, OPTIONS");
        return response;
    }
    if (match.handler == nullptr && !match.allow.empty()) {
        Response response =
            Response::error(405, "This path does not answer " + request.method + ".");
        response.headers.set("Allow", match.allow);
        return response;
    }
    if (match.handler == nullptr) return Response::error(404, "Nothing is served at this path.");
    try {
        return match.handler->handle(request);
    } catch (const std::exception& e) {
        log::error("{} {} (route {}): the handler threw: {}; answered 500", request.method,
                   request.target, route_name(request), e.what());
    } catch (...) {
        log::error("{} {} (route {}): the handler threw a non-exception; answered 500",
                   request.method, request.target, route_name(request));
    }
    Response response = Response::error(500, "The handler failed; see the error log.");
    response.close = true;
    return response;
}

}  // namespace forkd::api
