// forkd's embedding API: calling an app's handlers in a unit test, without a server.
//
//     forkd::App app = make_app();
//     forkd::testing::Result r = forkd::testing::call(app, "GET", "/hello/bob?x=1");
//     EXPECT_EQ(r.status, 200);
//     EXPECT_EQ(r.body, "hello bob");
//
// Routing is the server's (path parameters, 404, 405 with Allow, HEAD from GET) and so is an
// exception escaping a handler (500); the handler runs in the test's own process.
#pragma once

#include <string>

#include "forkd/app.hpp"

namespace forkd::testing {

struct Result {
    int status = 0;
    Headers headers;
    std::string body;  // whatever kind the handler made: bytes, a file or a stream
    bool close = false;
    std::string route;  // the pattern that matched, "" for none
};

// A request as a parsed one would be: `target` is split into path and query.
Request make_request(std::string method, std::string target, std::string body = {},
                     Headers headers = {});

Result call(const App& app, Request request);
Result call(const App& app, std::string method, std::string target, std::string body = {},
            Headers headers = {});

}  // namespace forkd::testing
