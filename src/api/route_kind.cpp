#include "api/route_kind.hpp"

namespace forkd::api {
namespace {

// One per process: see the header (a process runs one handler at a time).
RouteKind g_noted = RouteKind::none;

}  // namespace

std::string_view to_string(RouteKind kind) {
    switch (kind) {
        case RouteKind::none:
            return "none";
        case RouteKind::inline_:
            return "inline";
        case RouteKind::blocking:
            return "blocking";
        case RouteKind::static_files:
            return "static";
        case RouteKind::cgi:
            return "cgi";
        case RouteKind::fastcgi:
            return "fastcgi";
    }
    return "none";
}

void note_route_kind(RouteKind kind) {
    g_noted = kind;
}

RouteKind take_route_kind(RouteKind dispatched) {
    RouteKind noted = g_noted;
    g_noted = RouteKind::none;
    return noted == RouteKind::none ? dispatched : noted;
}

RouteKind take_route_kind(const Handler* handler, const Request& request) {
    RouteKind noted = take_route_kind(RouteKind::none);
    if (noted != RouteKind::none || handler == nullptr) return noted;
    return handler->dispatch(request) == Dispatch::blocking ? RouteKind::blocking
                                                            : RouteKind::inline_;
}

}  // namespace forkd::api
