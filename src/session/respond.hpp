// Turns a parsed request into a response with the application's routes: the one place that
// answers `OPTIONS *`, a path nobody serves (404) and a handler that throws (500, logged).
// Used wherever a handler runs: the blocking session, hybrid's io and app workers.
#pragma once

#include "forkd/handler.hpp"

namespace forkd::session {

Response respond(const Router& router, const Request& request);

// The handler `request` would run, or nullptr for what respond() answers itself.
Handler* handler_for(const Router& router, const Request& request);

}  // namespace forkd::session
