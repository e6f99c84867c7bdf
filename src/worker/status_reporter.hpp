// Tells the world what this serving process is doing: its process title ("forkd: worker 3
// busy GET /?sleep") and its scoreboard slot, as requests come and go. Also where the
// process notices it has served its quota (max_requests) and retires itself, and where slow
// requests are logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "ipc/scoreboard.hpp"
#include "session/connection.hpp"

namespace forkd::worker {

struct ReporterSettings {
    uint64_t max_requests = 0;  // 0: never retire; already includes this worker's jitter
    std::chrono::milliseconds slow_request_log{0};
    bool count_requests = false;  // metrics_path is set: count each response for the metrics
};

class StatusReporter final : public session::Observer {
  public:
    // `role` is what the title names: "single", "worker 3", "conn 127.0.0.1:51234"; the
    // caller's, which outlives the reporter (it is the process's name for its whole life).
    // `scoreboard` may be null (single mode has none).
    StatusReporter(std::string_view role, ipc::Scoreboard* scoreboard, std::size_t slot,
                   ReporterSettings settings);

    // Waiting for a connection.
    void idle();
    // A connection was accepted: counted in the scoreboard header (the status page's
    // accepted_conn), as the master counts the ones it accepts in fork mode.
    void connection_accepted();
    void request_started(const Request& request) override;
    void request_finished(const Request& request, int status, std::size_t body_bytes,
                          api::RouteKind kind) override;
    void error_answered(int status, std::size_t body_bytes) override;
    // Takes the slot's request count as what this process served (hybrid's io workers count
    // there the requests they sent its FastCGI application themselves), and asks for a stop
    // once it reaches max_requests. The slot's state is left alone: an io worker may hold it.
    void note_served_in_slot();
    uint64_t quota() const { return settings_.max_requests; }

  private:
    void retire_if_quota_reached();

    // The process titles are written from their parts (os::set_process_title): no string
    // of them is kept or built, which a fork-mode child would allocate for each connection.
    std::string_view role_;
    ipc::Scoreboard* scoreboard_;
    std::size_t slot_;
    ReporterSettings settings_;
    uint64_t served_ = 0;
    std::chrono::steady_clock::time_point request_start_{};
};

// max_requests plus a random 0..jitter, so that workers started together do not all
// recycle together (gunicorn's --max-requests-jitter).
uint64_t request_quota(int max_requests, int jitter);

}  // namespace forkd::worker
