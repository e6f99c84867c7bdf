#include "handlers/health.hpp"

#include "http/response_head.hpp"

namespace forkd::handlers {

Response HealthHandler::handle(const Request& request) {
    if (request.method != "GET" && request.method != "HEAD") {
        Response response = http::error_response(405, "The health check answers GET and HEAD.");
        response.headers.set("Allow", "GET, HEAD");
        return response;
    }
    bool draining = scoreboard_.header().draining.load(std::memory_order_relaxed) != 0;
    Response response = draining ? Response::text(503, "draining\n") : Response::text(200, "ok\n");
    response.headers.set("Cache-Control", "no-store");
    if (draining) response.close = true;
    return response;
}

}  // namespace forkd::handlers
