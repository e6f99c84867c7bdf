// The metrics page: the scoreboard's figures and counters (ipc/server_counters.hpp) in the
// Prometheus text exposition format, version 0.0.4, for a Prometheus server to scrape.
//
// Principle: like the status page, it only reads shared memory, so it is inline, costs
// nothing until it is asked for, and needs no sampling thread: every count is kept where it
// happens and summed here. Label values are fixed words (route kinds, status classes,
// roles, states, exit causes), never a path or an address, so the series stay few.
// Served to the clients the status page is served to (`status_allow`, the same check).
// It must not block, throw out of handle(), or write the scoreboard.
#pragma once

#include <memory>
#include <string>

#include "forkd/handler.hpp"
#include "handlers/status.hpp"
#include "ipc/scoreboard.hpp"

namespace forkd::handlers {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// The whole page, from the scoreboard at this moment.
std::string render_metrics(const ipc::Scoreboard& scoreboard, const StatusInfo& info);

class MetricsHandler final : public Handler {
  public:
    // `scoreboard` must outlive the handler; `gate` says who may read it (the status page's
    // own check, so that status_allow means one thing for both).
    MetricsHandler(const ipc::Scoreboard& scoreboard, StatusInfo info,
                   std::shared_ptr<const StatusHandler> gate);

    Dispatch dispatch(const Request&) const override { return Dispatch::inline_; }
    Response handle(const Request& request) override;

  private:
    const ipc::Scoreboard& scoreboard_;
    StatusInfo info_;
    std::shared_ptr<const StatusHandler> gate_;
};

}  // namespace forkd::handlers
