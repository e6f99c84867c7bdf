// The route kind a handler notes, and what the serving process takes when none was noted.
#include "api/route_kind.hpp"

#include <gtest/gtest.h>

namespace forkd::api {
namespace {

TEST(RouteKind, WithoutANoteTheKindIsHowTheRequestWasDispatched) {
    EXPECT_EQ(take_route_kind(RouteKind::inline_), RouteKind::inline_);
    EXPECT_EQ(take_route_kind(RouteKind::blocking), RouteKind::blocking);
}

TEST(RouteKind, AHandlersNoteWinsOnceAndIsThenCleared) {
    note_route_kind(RouteKind::static_files);
    EXPECT_EQ(take_route_kind(RouteKind::inline_), RouteKind::static_files);
    EXPECT_EQ(take_route_kind(RouteKind::inline_), RouteKind::inline_);
}

TEST(RouteKind, AsksTheHandlerHowItRunsOnlyWhenItNotedNothing) {
    auto blocking_handler = make_handler(Dispatch::blocking, [](const Request&) {
        note_route_kind(RouteKind::cgi);
        return Response::text("x");
    });
    Request request;
    EXPECT_EQ(take_route_kind(blocking_handler.get(), request), RouteKind::blocking);
    blocking_handler->handle(request);
    EXPECT_EQ(take_route_kind(blocking_handler.get(), request), RouteKind::cgi);
    EXPECT_EQ(take_route_kind(nullptr, request), RouteKind::none);
}

TEST(RouteKind, LabelValuesAreFixedWords) {
    EXPECT_EQ(to_string(RouteKind::none), "none");
    EXPECT_EQ(to_string(RouteKind::inline_), "inline");
    EXPECT_EQ(to_string(RouteKind::static_files), "static");
    EXPECT_EQ(to_string(RouteKind::fastcgi), "fastcgi");
}

}  // namespace
}  // namespace forkd::api
