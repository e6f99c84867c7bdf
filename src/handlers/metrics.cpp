#include "handlers/metrics.hpp"

#include <fmt/format.h>

#include <array>
#include <iterator>
#include <utility>

#include "http/response_head.hpp"
#include "ipc/server_counters.hpp"

namespace forkd::handlers {
namespace {

using api::RouteKind;

constexpr std::array<std::string_view, ipc::kStatusClasses> kStatusClasses = {"1xx", "2xx", "3xx",
                                                                              "4xx", "5xx"};
constexpr std::array<ipc::SlotRole, 3> kRoles = {ipc::SlotRole::worker, ipc::SlotRole::io,
                                                 ipc::SlotRole::connection};
constexpr std::array<ipc::SlotState, 7> kLiveStates = {
    ipc::SlotState::starting, ipc::SlotState::idle, ipc::SlotState::claimed,
    ipc::SlotState::reading,  ipc::SlotState::busy, ipc::SlotState::keepalive,
    ipc::SlotState::closing};
// The queue-wait histogram's bounds (the scoreboard header's six buckets), in seconds.
constexpr std::array<double, 5> kQueueWaitBounds = {0.001, 0.01, 0.1, 1, 10};

// Appends to the page. Every value is a count or a sum, every label value a fixed word, so
// nothing needs escaping.
class Page {
  public:
    // "# HELP" and "# TYPE" of one metric family.
    void family(std::string_view name, std::string_view type, std::string_view help) {
        fmt::format_to(out(), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    // One sample; `labels` as they go between the braces, "" for none.
    template <class Value>
    void sample(std::string_view name, std::string_view labels, Value value) {
        if (labels.empty()) {
            fmt::format_to(out(), "{} {}\n", name, value);
        } else {
            fmt::format_to(out(), "{}{{{}}} {}\n", name, labels, value);
        }
    }
    // A counter or gauge family with a single sample.
    template <class Value>
    void single(std::string_view name, std::string_view type, std::string_view help, Value value) {
        family(name, type, help);
        sample(name, "", value);
    }
    // The buckets, sum and count of one histogram; `counts` per bucket, not cumulative, the
    // last one past the last bound.
    template <std::size_t N>
    void histogram(std::string_view name, std::string_view labels,
                   const std::array<double, N>& bounds, const std::array<uint64_t, N + 1>& counts,
                   double sum) {
        std::string prefix = labels.empty() ? "" : std::string(labels) + ",";
        uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= N; ++i) {
            cumulative += counts[i];
            std::string le = i < N ? fmt::format("{}", bounds[i]) : "+Inf";
            sample(std::string(name) + "_bucket", fmt::format("{}le=\"{}\"", prefix, le),
                   cumulative);
        }
        sample(std::string(name) + "_sum", labels, sum);
        sample(std::string(name) + "_count", labels, cumulative);
    }
    std::string take() { return std::move(text_); }

  private:
    std::back_insert_iterator<std::string> out() { return std::back_inserter(text_); }
    std::string text_;
};

uint64_t load(const std::atomic<uint64_t>& value) {
    return value.load(std::memory_order_relaxed);
}

double seconds_of_micros(uint64_t micros) {
    return static_cast<double>(micros) / 1e6;
}

std::string kind_label(std::size_t kind) {
    return fmt::format("kind=\"{}\"", api::to_string(static_cast<RouteKind>(kind)));
}

void add_requests(Page& page, const ipc::ServerCounters& counters) {
    page.family("forkd_http_requests_total", "counter",
                "Responses sent, by route kind and status class.");
    for (std::size_t kind = 0; kind < api::kRouteKinds; ++kind) {
        for (std::size_t status = 0; status < ipc::kStatusClasses; ++status) {
            page.sample(
                "forkd_http_requests_total",
                fmt::format("{},status_class=\"{}\"", kind_label(kind), kStatusClasses[status]),
                load(counters.responses[kind][status]));
        }
    }
    constexpr std::size_t kBounds = ipc::kDurationBoundsUs.size();
    std::array<double, kBounds> bounds{};
    for (std::size_t i = 0; i < kBounds; ++i)
        bounds[i] = seconds_of_micros(ipc::kDurationBoundsUs[i]);
    page.family("forkd_http_request_duration_seconds", "histogram",
                "Time from a complete request to its response handed to the kernel, by route "
                "kind (a blocking request's wait in the queue is not in it).");
    for (std::size_t kind = 0; kind < api::kRouteKinds; ++kind) {
        std::array<uint64_t, kBounds + 1> counts{};
        for (std::size_t i = 0; i <= kBounds; ++i)
            counts[i] = load(counters.duration_buckets[kind][i]);
        page.histogram("forkd_http_request_duration_seconds", kind_label(kind), bounds, counts,
                       seconds_of_micros(load(counters.duration_us[kind])));
    }
    page.single("forkd_http_response_body_bytes_total", "counter", "Response body bytes sent.",
                load(counters.body_bytes));
}

void add_queue(Page& page, const ipc::ScoreboardHeader& header) {
    const ipc::ServerCounters& counters = header.counters;
    page.single("forkd_queue_length", "gauge",
                "Hybrid: blocking requests waiting in the io workers' queues for an app worker.",
                load(header.queued));
    std::array<uint64_t, kQueueWaitBounds.size() + 1> waits{};
    for (std::size_t i = 0; i < waits.size(); ++i)
        waits[i] = load(header.queue_wait_histogram[i]);
    page.family("forkd_queue_wait_seconds", "histogram",
                "Hybrid: how long blocking requests waited for an app worker.");
    page.histogram("forkd_queue_wait_seconds", "", kQueueWaitBounds, waits,
                   seconds_of_micros(load(counters.queue_wait_us)));
    page.single("forkd_queue_timeouts_total", "counter",
                "Hybrid: queued requests answered 503 at queue_timeout.",
                load(header.queue_timeouts));
    page.single("forkd_queue_rejections_total", "counter",
                "Hybrid: blocking requests answered 503 at once because the queue was full.",
                load(counters.queue_full));
}

void add_processes(Page& page, const ipc::Scoreboard& scoreboard) {
    const ipc::ServerCounters& counters = scoreboard.header().counters;
    std::array<std::array<uint64_t, kLiveStates.size()>, ipc::kRoles> by_state{};
    std::array<uint64_t, ipc::kRoles> pss_kb{};
    for (std::size_t i = 0; i < scoreboard.size(); ++i) {
        ipc::SlotView slot = scoreboard.read(i);
        auto role = static_cast<std::size_t>(slot.role);
        if (slot.state == ipc::SlotState::empty || role >= ipc::kRoles) continue;
        for (std::size_t s = 0; s < kLiveStates.size(); ++s) {
            if (slot.state == kLiveStates[s]) ++by_state[role][s];
        }
        pss_kb[role] += slot.pss_kb;
    }
    page.family("forkd_processes", "gauge", "Child processes by role and state.");
    for (ipc::SlotRole role : kRoles) {
        for (std::size_t s = 0; s < kLiveStates.size(); ++s) {
            page.sample("forkd_processes",
                        fmt::format("role=\"{}\",state=\"{}\"", ipc::to_string(role),
                                    ipc::to_string(kLiveStates[s])),
                        by_state[static_cast<std::size_t>(role)][s]);
        }
    }
    page.family("forkd_process_pss_bytes", "gauge",
                "Proportional set size of the live children by role, measured every second.");
    for (ipc::SlotRole role : kRoles) {
        page.sample("forkd_process_pss_bytes", fmt::format("role=\"{}\"", ipc::to_string(role)),
                    pss_kb[static_cast<std::size_t>(role)] * 1024);
    }
    page.family("forkd_process_spawns_total", "counter", "Child processes started, by role.");
    for (ipc::SlotRole role : kRoles) {
        page.sample("forkd_process_spawns_total", fmt::format("role=\"{}\"", ipc::to_string(role)),
                    load(counters.spawns[static_cast<std::size_t>(role)]));
    }
    page.family("forkd_process_exits_total", "counter",
                "Child processes reaped, by role and cause.");
    for (ipc::SlotRole role : kRoles) {
        for (std::size_t cause = 0; cause < ipc::kExitCauses; ++cause) {
            page.sample("forkd_process_exits_total",
                        fmt::format("role=\"{}\",cause=\"{}\"", ipc::to_string(role),
                                    ipc::to_string(static_cast<ipc::ExitCause>(cause))),
                        load(counters.exits[static_cast<std::size_t>(role)][cause]));
        }
    }
    page.single("forkd_crash_backoff_workers", "gauge",
                "Worker numbers whose restart waits out a crash-loop back-off.",
                load(counters.backing_off));
}

void add_server(Page& page, const ipc::ScoreboardHeader& header, const StatusInfo& info) {
    const ipc::ServerCounters& counters = header.counters;
    page.family("forkd_build_info", "gauge", "forkd's version and process model.");
    page.sample("forkd_build_info",
                fmt::format("version=\"{}\",mode=\"{}\"", info.version, info.mode), 1);
    page.single("forkd_start_time_seconds", "gauge",
                "When the master started, in seconds since the Unix epoch.",
                load(header.started_ms) / 1000);
    page.single("forkd_connections_accepted_total", "counter", "Client connections accepted.",
                load(header.accepted));
    page.single("forkd_connections_refused_total", "counter",
                "Connections accepted and closed unserved because no process could take them.",
                load(counters.refused));
    page.single("forkd_listen_queue_length", "gauge",
                "Connections waiting in the kernel's accept queues, sampled every second.",
                load(header.listen_queue));
    page.single("forkd_slow_requests_total", "counter", "Requests slower than slow_request_log.",
                load(header.slow_requests));
    page.single("forkd_max_workers_reached_total", "counter",
                "Times the pool reached max_workers with every worker busy.",
                load(header.max_workers_reached));
    page.family("forkd_reloads_total", "counter", "Configuration reloads (SIGHUP), by result.");
    page.sample("forkd_reloads_total", "result=\"success\"", load(counters.reloads));
    page.sample("forkd_reloads_total", "result=\"failure\"", load(counters.failed_reloads));
    page.single("forkd_config_generation", "gauge",
                "The configuration generation in force (0 at start, one more per reload).",
                header.generation.load(std::memory_order_relaxed));
    page.single("forkd_draining", "gauge", "1 once a graceful stop has begun.",
                header.draining.load(std::memory_order_relaxed));
}

}  // namespace

std::string render_metrics(const ipc::Scoreboard& scoreboard, const StatusInfo& info) {
    const ipc::ScoreboardHeader& header = scoreboard.header();
    Page page;
    add_requests(page, header.counters);
    add_queue(page, header);
    add_processes(page, scoreboard);
    add_server(page, header, info);
    return page.take();
}

MetricsHandler::MetricsHandler(const ipc::Scoreboard& scoreboard, StatusInfo info,
                               std::shared_ptr<const StatusHandler> gate)
    : scoreboard_(scoreboard), info_(std::move(info)), gate_(std::move(gate)) {}

Response MetricsHandler::handle(const Request& request) {
    if (!gate_->is_allowed(request)) {
        return http::error_response(
            403, "The metrics are served to local clients and status_allow only.");
    }
    if (request.method != "GET" && request.method != "HEAD") {
        Response response = http::error_response(405, "The metrics page answers GET and HEAD.");
        response.headers.set("Allow", "GET, HEAD");
        return response;
    }
    Response response =
        Response::text(200, render_metrics(scoreboard_, info_), std::string(kMetricsContentType));
    response.headers.set("Cache-Control", "no-store");
    return response;
}

}  // namespace forkd::handlers
