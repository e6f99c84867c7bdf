#include "handlers/demo.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <thread>

#include "http/response_head.hpp"

namespace forkd::handlers {
namespace {

constexpr std::string_view kHtml = "text/html; charset=utf-8";

bool contains_sleep(std::string_view text) {
    constexpr std::string_view needle = "sleep";
    auto found = std::search(text.begin(), text.end(), needle.begin(), needle.end(),
                             [](char a, char b) { return std::tolower(a) == b; });
    return found != text.end();
}

// The value of the first `sleep=...` parameter, if the query has one.
std::optional<std::string_view> sleep_value(std::string_view query) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view parameter = query.substr(0, amp);
        std::size_t equals = parameter.find('=');
        if (equals != std::string_view::npos && iequals(parameter.substr(0, equals), "sleep")) {
            return parameter.substr(equals + 1);
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

// Serialised once per process and never freed, and shared without a count (a pointer that
// owns nothing): copying it into each answer then writes no reference count, whose page a
// fork-mode child would otherwise copy at its first answer.
std::shared_ptr<const std::string> html_fields() {
    static const std::string* const serialised = [] {
        Headers fields;
        fields.add("Content-Type", std::string(kHtml));
        return new std::string(http::serialize_fields(fields));
    }();
    return {std::shared_ptr<const std::string>(), serialised};
}

}  // namespace

SleepRequest parse_sleep(std::string_view query, const config::DemoConfig& demo) {
    if (!contains_sleep(query)) return {};
    std::optional<std::string_view> value = sleep_value(query);
    if (!value) return {true, demo.sleep_seconds};
    int seconds = -1;
    auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), seconds);
    bool whole = error == std::errc() && end == value->data() + value->size();
    if (!whole || seconds < 0 || seconds > demo.max_sleep_seconds) return {true, std::nullopt};
    return {true, std::chrono::seconds(seconds)};
}

Dispatch DemoHandler::dispatch(const Request& request) const {
    return contains_sleep(request.query) ? Dispatch::blocking : Dispatch::inline_;
}

DemoHandler::DemoHandler(config::DemoConfig demo) : demo_(demo), html_fields_(html_fields()) {}

Response DemoHandler::answer(std::string_view body) const {
    return Response{.headers = {},
                    .body = Body(std::in_place_type<std::string>, body),  // no string moved
                    .ready_fields = html_fields_};
}

Response DemoHandler::handle(const Request& request) {
    std::string_view method = request.method;
    if (method != "GET" && method != "HEAD") {
        Response response = http::error_response(405, "The demo answers GET and HEAD only.");
        response.headers.set("Allow", "GET, HEAD");
        return response;
    }
    if (request.query.empty()) return answer(kDemoBody);  // the hello: nothing to look for
    SleepRequest sleep = parse_sleep(request.query, demo_);
    if (!sleep.wanted) return answer(kDemoBody);
    if (!sleep.duration) {
        return http::error_response(400, "sleep must be an integer from 0 to " +
                                             std::to_string(demo_.max_sleep_seconds) +
                                             " (seconds).");
    }
    // The tutorial's busy handler. nanosleep restarts after signal handlers; a graceful stop
    // waits for it, SIGINT ends the process.
    std::this_thread::sleep_for(*sleep.duration);
    return answer(kDemoBusyBody);
}

void add_demo_routes(Router& router, const config::DemoConfig& demo) {
    router.add("/", Route::Match::exact, std::make_shared<DemoHandler>(demo));
}

}  // namespace forkd::handlers
