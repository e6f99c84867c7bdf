// The counters behind the metrics page (handlers/metrics.hpp), kept in the scoreboard's
// header: shared memory made before the first fork, so every process adds to the same
// atomics and a count outlives the process that made it (a worker recycled, crashed or
// replaced by a reload leaves its requests counted). They only grow, for the life of the
// master; a binary upgrade's new master starts its own (a counter reset, as Prometheus
// expects of a restart).
//
// Who writes: whoever answers a request records it (record_response: the io worker for
// what it answers itself, the serving process otherwise); the master records spawns,
// exits, reloads and the crash back-off. Relaxed atomics: each count is exact, a page may
// see one count a moment before another.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/route_kind.hpp"

namespace forkd::ipc {

// Upper bounds of the request duration histogram's buckets, in microseconds (Prometheus's
// default buckets, with 1 ms and 2.5 ms added for the fast inline routes); one more bucket
// counts the longer ones.
inline constexpr std::array<uint64_t, 13> kDurationBoundsUs = {
    1'000,   2'500,   5'000,     10'000,    25'000,    50'000,    100'000,
    250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
inline constexpr std::size_t kDurationBuckets = kDurationBoundsUs.size() + 1;
// Status classes 1xx..5xx.
inline constexpr std::size_t kStatusClasses = 5;

// Why a child exited, as the master classifies it (master/exit_cause.hpp).
enum class ExitCause : uint8_t {
    max_requests,       // served its quota and retired itself
    max_rss,            // retired by the master: its memory passed max_rss
    timeout,            // its request outlived request_timeout
    crash,              // a signal or a failure exit of its own
    kill,               // SIGKILL from outside (an operator, the OOM killer)
    retired,            // retired by the master: a reload, the pool shrinking, an upgrade
    stopped,            // the server stopped
    start_failure,      // failed its own start (never respawned)
    connection_closed,  // fork mode: its connection ended
};
inline constexpr std::size_t kExitCauses = 9;
std::string_view to_string(ExitCause cause);

// Indexed by SlotRole (none unused): worker, connection, io.
inline constexpr std::size_t kRoles = 4;

struct ServerCounters {
    // Responses by route kind and status class; also the duration histogram's count.
    std::atomic<uint64_t> responses[api::kRouteKinds][kStatusClasses]{};
    // Request durations by route kind: buckets (not cumulative) and their sum.
    std::atomic<uint64_t> duration_buckets[api::kRouteKinds][kDurationBuckets]{};
    std::atomic<uint64_t> duration_us[api::kRouteKinds]{};
    std::atomic<uint64_t> body_bytes{0};  // response bodies sent
    // Hybrid: the sum of the queue waits the scoreboard header's histogram counts, and the
    // requests answered 503 at once because the queue was full.
    std::atomic<uint64_t> queue_wait_us{0};
    std::atomic<uint64_t> queue_full{0};
    // Connections accepted and then closed unserved because no process could take them
    // (fork mode: fork() failed).
    std::atomic<uint64_t> refused{0};
    std::atomic<uint64_t> spawns[kRoles]{};
    std::atomic<uint64_t> exits[kRoles][kExitCauses]{};
    std::atomic<uint64_t> reloads{0};
    std::atomic<uint64_t> failed_reloads{0};
    // Worker numbers waiting out a crash-loop back-off now (a gauge, set by the master).
    std::atomic<uint64_t> backing_off{0};
};

// Counts one response: its kind, status class, duration and body bytes.
void record_response(ServerCounters& counters, api::RouteKind kind, int status,
                     std::chrono::microseconds took, uint64_t body_bytes);

}  // namespace forkd::ipc
