#include "ipc/server_counters.hpp"

#include <algorithm>

namespace forkd::ipc {

std::string_view to_string(ExitCause cause) {
    switch (cause) {
        case ExitCause::max_requests:
            return "max_requests";
        case ExitCause::max_rss:
            return "max_rss";
        case ExitCause::timeout:
            return "timeout";
        case ExitCause::crash:
            return "crash";
        case ExitCause::kill:
            return "kill";
        case ExitCause::retired:
            return "retired";
        case ExitCause::stopped:
            return "stopped";
        case ExitCause::start_failure:
            return "start_failure";
        case ExitCause::connection_closed:
            return "connection_closed";
    }
    return "crash";
}

void record_response(ServerCounters& counters, api::RouteKind kind, int status,
                     std::chrono::microseconds took, uint64_t body_bytes) {
    auto k = static_cast<std::size_t>(kind);
    if (k >= api::kRouteKinds) k = 0;
    std::size_t status_class = static_cast<std::size_t>(std::clamp(status / 100, 1, 5)) - 1;
    auto micros = static_cast<uint64_t>(std::max<int64_t>(took.count(), 0));
    // Most requests land in the first bucket or two: a linear search is the shortest.
    std::size_t bucket = 0;
    while (bucket < kDurationBoundsUs.size() && micros > kDurationBoundsUs[bucket])
        ++bucket;
    counters.responses[k][status_class].fetch_add(1, std::memory_order_relaxed);
    counters.duration_buckets[k][bucket].fetch_add(1, std::memory_order_relaxed);
    counters.duration_us[k].fetch_add(micros, std::memory_order_relaxed);
    if (body_bytes > 0) counters.body_bytes.fetch_add(body_bytes, std::memory_order_relaxed);
}

}  // namespace forkd::ipc
