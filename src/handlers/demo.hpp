// The tutorial's application, forkd's embedded default.
//
// GET / answers "this is server" at once (inline). A request to / whose query contains
// "sleep" (any case) is busy for demo.sleep_seconds, or ?sleep=N seconds, then answers
// "繁忙等待" ("busy waiting"): it blocks, so it runs where blocking is allowed.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "forkd/handler.hpp"

namespace forkd::handlers {

inline constexpr std::string_view kDemoBody = "this is server";
inline constexpr std::string_view kDemoBusyBody = "繁忙等待";

// What a query asks of the demo: no sleep, a sleep of some length, or a bad sleep value.
struct SleepRequest {
    bool wanted = false;
    std::optional<std::chrono::milliseconds> duration;  // empty with wanted: invalid value
};
SleepRequest parse_sleep(std::string_view query, const config::DemoConfig& demo);

class DemoHandler final : public Handler {
  public:
    explicit DemoHandler(config::DemoConfig demo);
    Dispatch dispatch(const Request& request) const override;
    Response handle(const Request& request) override;

  private:
    // An answer of the demo: its fixed Content-Type goes as a field serialised once
    // (Response::ready_fields), as the static-file handler's do, so that the hello every
    // benchmark asks for allocates no field and checks none per request.
    Response answer(std::string_view body) const;

    config::DemoConfig demo_;
    std::shared_ptr<const std::string> html_fields_;
};

// The demo's routes: `/` only; everything else is the router's 404.
void add_demo_routes(Router& router, const config::DemoConfig& demo);

}  // namespace forkd::handlers
