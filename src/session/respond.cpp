#include "session/respond.hpp"

#include <exception>

#include "base/log.hpp"
#include "http/response_head.hpp"

namespace forkd::session {

Handler* handler_for(const Router& router, const Request& request) {
    if (request.target == "*") return nullptr;
    return router.find(request.path);
}

Response respond(const Router& router, const Request& request) {
    if (request.target == "*") {
        Response response = Response::text(request.method == "OPTIONS" ? 200 : 400, "");
        response.headers.set("Allow", "GET, HEAD, OPTIONS");
        return response;
    }
    Handler* handler = router.find(request.path);
    if (handler == nullptr) return http::error_response(404, "Nothing is served at this path.");
    try {
        return handler->handle(request);
    } catch (const std::exception& e) {
        log::error("{} {}: handler failed: {}", request.method, request.target, e.what());
    } catch (...) {
        log::error("{} {}: handler failed with an unknown exception", request.method,
                   request.target);
    }
    Response response = http::error_response(500, "The handler failed; see the error log.");
    response.close = true;
    return response;
}

}  // namespace forkd::session
