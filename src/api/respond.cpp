#include "api/respond.hpp"

#include <exception>

#include "base/log.hpp"

namespace forkd::api {
namespace {

std::string route_name(const Request& request) {
    return request.route.empty() ? request.path : request.route;
}

// "OPTIONS *" and its like: the server itself is asked, no route.
bool asks_the_server(const Request& request) {
    return std::string_view(request.target) == "*";
}

}  // namespace

RouteMatch route_request(const Router& router, Request& request) {
    // One object, returned at one place: the match is made in the caller's place.
    RouteMatch match =
        asks_the_server(request) ? RouteMatch{} : router.match(request.method, request.path);
    if (match.route != nullptr) {
        request.route = match.route->path;
        request.params = std::move(match.params);
    }
    return match;
}

namespace {

Response respond_once(const RouteMatch& match, const Request& request);

}  // namespace

Request redirected(const Request& request, std::string_view target) {
    Request next;
    next.method = "GET";
    next.target = std::string(target);
    std::size_t question = target.find('?');
    next.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) next.query = std::string(target.substr(question + 1));
    next.version = request.version;
    next.headers = request.headers;
    next.headers.remove("Content-Length");
    next.headers.remove("Transfer-Encoding");
    next.headers.remove("Content-Type");
    next.remote_addr = request.remote_addr;
    next.peer_addr = request.peer_addr;
    next.scheme = request.scheme;
    return next;
}

Response respond(const Router& router, const RouteMatch& match, const Request& request) {
    Response response = respond_once(match, request);
    if (!response.redirect_internally) return response;
    Request current = redirected(request, response.headers.get("Location").value_or("/"));
    for (int hop = 1; hop <= kMaxLocalRedirects; ++hop) {
        RouteMatch next = route_request(router, current);
        response = respond_once(next, current);
        if (!response.redirect_internally) return response;
        current = redirected(current, response.headers.get("Location").value_or("/"));
    }
    log::error("{} {}: more than {} local redirects; answered 500", request.method, request.target,
               kMaxLocalRedirects);
    // Into `response`, which every return gives: the response is then made in the caller's
    // place (no move on the way out).
    response = Response::error(500, "The server redirected this request to itself too often.");
    return response;
}

namespace {

Response respond_once(const RouteMatch& match, const Request& request) {
    if (asks_the_server(request)) {
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

}  // namespace

}  // namespace forkd::api
