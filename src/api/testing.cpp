// forkd::testing: an app's handlers called as the server would call them, in-process.
#include "forkd/testing.hpp"

#include "api/respond.hpp"

namespace forkd::testing {
namespace {

// A test reads every field the handler set, also those it serialised ahead
// (Response::ready_fields: "Name: value\r\n" each).
void add_ready_fields(Headers& headers, const std::shared_ptr<const std::string>& ready) {
    if (!ready) return;
    std::string_view rest = *ready;
    while (!rest.empty()) {
        const std::size_t end = rest.find("\r\n");
        const std::string_view line = rest.substr(0, end);
        const std::size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            headers.add(std::string(line.substr(0, colon)), std::string(value));
        }
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + 2);
    }
}

}  // namespace

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
    add_ready_fields(result.headers, response.ready_fields);
    return result;
}

Result call(const App& app, std::string method, std::string target, std::string body,
            Headers headers) {
    return call(app, make_request(std::move(method), std::move(target), std::move(body),
                                  std::move(headers)));
}

}  // namespace forkd::testing
