// forkd::testing: an app's handlers called as the server would call them, in-process.
#include "forkd/testing.hpp"

#include "api/respond.hpp"

namespace forkd::testing {

Request make_request(std::string method, std::string target, std::string body, Headers headers) {
    Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    request.headers = std::move(headers);
    if (!body.empty() && !request.headers.contains("Content-Length")) {
        request.headers.set("Content-Length", std::to_string(body.size()));
    }
    request.body = std::move(body);
    request.remote_addr = "127.0.0.1:1";
    return request;
}

Result call(const App& app, Request request) {
    Router router = app.router();
    Response response = api::respond(router, request);
    Result result;
    result.status = response.status;
    result.close = response.close;
    result.route = request.route;
    if (!request.is_head()) result.body = collect_body(response);
    result.headers = std::move(response.headers);
    return result;
}

Result call(const App& app, std::string method, std::string target, std::string body,
            Headers headers) {
    return call(app, make_request(std::move(method), std::move(target), std::move(body),
                                  std::move(headers)));
}

}  // namespace forkd::testing
