// The health check a load balancer polls (`health_path`): 200 while the server takes new
// work, 503 from the moment a graceful stop begins, so that the balancer stops sending
// before the listeners close. Inline: it reads one atomic of the scoreboard.
#pragma once

#include "forkd/handler.hpp"
#include "ipc/scoreboard.hpp"

namespace forkd::handlers {

class HealthHandler final : public Handler {
  public:
    explicit HealthHandler(const ipc::Scoreboard& scoreboard) : scoreboard_(scoreboard) {}
    Dispatch dispatch(const Request&) const override { return Dispatch::inline_; }
    Response handle(const Request& request) override;

  private:
    const ipc::Scoreboard& scoreboard_;
};

}  // namespace forkd::handlers
