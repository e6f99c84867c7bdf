// The status page: the pool's figures and, with `?full`, one row per process, read from the
// scoreboard. PHP-FPM's `pm.status_path` is the model: the same figures, in snake_case.
//
// Principle: it only reads shared memory (a seqlock copy per slot), so it is inline and never
// blocks, and it never writes the scoreboard. It reveals request targets and client
// addresses, so it answers loopback clients (127.0.0.0/8, ::1, unix sockets) and the
// `status_allow` entries only; a request that carries proxy headers is not taken as local,
// unless its peer is one of `trusted_proxies`: then the client that proxy named is checked
// (session/client_address.hpp took it from the headers). It must not block, throw out of handle(),
// or let a header grant access.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/allowed_network.hpp"
#include "config/config.hpp"
#include "forkd/handler.hpp"
#include "ipc/scoreboard.hpp"

namespace forkd::handlers {

// What the page says about the server besides the scoreboard's figures.
struct StatusInfo {
    std::string mode;  // "prefork"
    std::string pm;    // "dynamic"; meaningful in prefork only
    int workers = 0;
    int max_workers = 0;
    int min_spare = 0;
    int max_spare = 0;
    int max_children = 0;                      // fork mode's cap
    std::string version;                       // "0.1.0"
    std::vector<std::string> allow;            // `status_allow` as configured
    std::vector<std::string> trusted_proxies;  // `trusted_proxies` as configured
};
StatusInfo status_info_from(const config::Config& config);

// One row of the `?full` table.
struct ProcessRow {
    ipc::SlotView slot;
    uint64_t request_duration_ms = 0;  // of the request in progress; 0 between requests
};

// The figures at one moment. Idle counts `idle` slots; active counts every slot held by a
// connection or on its way out (claimed, reading, busy, keepalive, closing), since none of
// them can take a new connection; `starting` and `empty` slots count in neither.
struct StatusSnapshot {
    uint64_t now_ms = 0;
    uint64_t started_ms = 0;
    uint64_t accepted = 0;
    uint64_t requests = 0;
    uint64_t listen_queue = 0;
    uint64_t max_listen_queue = 0;
    uint64_t idle = 0;
    uint64_t active = 0;
    uint64_t total = 0;       // idle + active
    uint64_t max_active = 0;  // never below `active`
    uint64_t max_workers_reached = 0;
    uint64_t slow_requests = 0;
    uint64_t queue_length = 0;  // hybrid: requests waiting for an app worker
    uint64_t max_queue_length = 0;
    uint64_t queue_timeouts = 0;
    std::array<uint64_t, 6> queue_waits{};  // <1ms, <10ms, <100ms, <1s, <10s, longer
    uint32_t generation = 0;
    bool degraded = false;
    std::vector<ProcessRow> processes;  // every slot that is not empty
};
StatusSnapshot take_snapshot(const ipc::Scoreboard& scoreboard, uint64_t now_ms);
bool counts_as_active(ipc::SlotState state);

class StatusHandler final : public Handler {
  public:
    // `scoreboard` must outlive the handler. Throws std::invalid_argument on an invalid
    // `info.allow` or `info.trusted_proxies` entry (the configuration loader refuses those
    // first).
    StatusHandler(const ipc::Scoreboard& scoreboard, StatusInfo info);

    // Reads shared memory only: always inline.
    Dispatch dispatch(const Request&) const override { return Dispatch::inline_; }
    Response handle(const Request& request) override;

    // Loopback or status_allow: the client a trusted proxy named, else the peer itself, which
    // proxy headers then make not local.
    bool is_allowed(const Request& request) const;

  private:
    const ipc::Scoreboard& scoreboard_;
    StatusInfo info_;
    std::vector<config::AllowedNetwork> allowed_;
    std::vector<config::AllowedNetwork> trusted_;
};

// The routes forkd serves besides the application: the status page at `config.status_path`
// and the metrics at `config.metrics_path` (exact matches; skipped without a scoreboard, as
// in single mode) and, when
// `config.test_routes` is set, the test-only routes (test_routes.hpp). Call before the
// application's routes so that they take precedence. Throws std::invalid_argument on an
// invalid `status_allow` (the configuration loader refuses those first).
void add_builtin_routes(Router& router, const config::Config& config,
                        const ipc::Scoreboard* scoreboard);

}  // namespace forkd::handlers
