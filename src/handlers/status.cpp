#include "handlers/status.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <variant>

#include "api/html_text.hpp"
#include "config/config_loader.hpp"
#include "forkd/version.hpp"
#include "handlers/health.hpp"
#include "handlers/metrics.hpp"
#include "handlers/test_routes.hpp"
#include "http/response_head.hpp"

namespace forkd::handlers {
namespace {

// Insertion order keeps the page in PHP-FPM's order instead of alphabetical.
using Json = nlohmann::ordered_json;

constexpr std::string_view kHtml = "text/html; charset=utf-8";

// A proxy on the same host connects from loopback on behalf of someone else: its request
// names the real client in one of these fields, so loopback alone proves nothing.
bool came_through_proxy(const Request& request) {
    return request.headers.contains("Forwarded") || request.headers.contains("X-Forwarded-For") ||
           request.headers.contains("X-Real-IP");
}

// ---- Rendering ------------------------------------------------------------------------------

// `name`, `name=...` as a parameter of the query ("json&full").
bool has_query_flag(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view parameter = query.substr(0, amp);
        if (parameter.substr(0, parameter.find('=')) == name) return true;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

uint64_t seconds_since(uint64_t then_ms, uint64_t now_ms) {
    return now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0;
}

Json process_json(const ProcessRow& row, uint64_t now_ms) {
    const ipc::SlotView& slot = row.slot;
    Json process;
    process["pid"] = slot.pid;
    process["state"] = std::string(ipc::to_string(slot.state));
    process["role"] = std::string(ipc::to_string(slot.role));
    process["generation"] = slot.generation;
    process["start_time"] = slot.started_ms / 1000;
    process["start_since"] = seconds_since(slot.started_ms, now_ms);
    process["requests"] = slot.requests;
    process["request_duration_ms"] = row.request_duration_ms;
    process["method"] = slot.method;
    process["target"] = slot.target;
    process["route"] = slot.route;
    process["client"] = slot.client;
    process["bytes_written"] = slot.bytes_written;
    process["pss_kb"] = slot.pss_kb;                    // with its spawned application's
    process["application_pid"] = slot.application_pid;  // its php-cgi (0: none)
    return process;
}

Json status_json(const StatusSnapshot& snapshot, const StatusInfo& info, bool full) {
    Json status;
    status["mode"] = info.mode;
    status["pm"] = info.pm;
    status["version"] = info.version;
    status["start_time"] = snapshot.started_ms / 1000;
    status["start_since"] = seconds_since(snapshot.started_ms, snapshot.now_ms);
    status["accepted_conn"] = snapshot.accepted;
    status["requests"] = snapshot.requests;
    status["listen_queue"] = snapshot.listen_queue;
    status["max_listen_queue"] = snapshot.max_listen_queue;
    status["idle_processes"] = snapshot.idle;
    status["active_processes"] = snapshot.active;
    status["total_processes"] = snapshot.total;
    status["max_active_processes"] = snapshot.max_active;
    status["max_workers_reached"] = snapshot.max_workers_reached;
    status["slow_requests"] = snapshot.slow_requests;
    status["queue_length"] = snapshot.queue_length;
    status["max_queue_length"] = snapshot.max_queue_length;
    status["queue_timeouts"] = snapshot.queue_timeouts;
    static constexpr std::array<const char*, 6> kWaitBuckets = {
        "queue_wait_under_1ms", "queue_wait_under_10ms", "queue_wait_under_100ms",
        "queue_wait_under_1s",  "queue_wait_under_10s",  "queue_wait_10s_or_more"};
    for (std::size_t i = 0; i < kWaitBuckets.size(); ++i) {
        status[kWaitBuckets[i]] = snapshot.queue_waits[i];
    }
    status["degraded"] = snapshot.degraded;
    status["generation"] = snapshot.generation;
    status["settings"] = Json{{"workers", info.workers},
                              {"max_workers", info.max_workers},
                              {"min_spare", info.min_spare},
                              {"max_spare", info.max_spare},
                              {"max_children", info.max_children}};
    if (full) {
        status["processes"] = Json::array();
        for (const ProcessRow& row : snapshot.processes) {
            status["processes"].push_back(process_json(row, snapshot.now_ms));
        }
    }
    return status;
}

// A cell's text: strings as they are, start times as UTC dates, other values as JSON writes
// them; always escaped.
std::string cell_text(const std::string& key, const Json& value) {
    if (value.is_string()) return api::escape_html(value.get<std::string>());
    if (key == "start_time" && value.is_number_unsigned()) {
        auto seconds = static_cast<std::time_t>(value.get<uint64_t>());
        std::tm utc{};
        char text[32] = {};
        if (gmtime_r(&seconds, &utc) != nullptr) {
            std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
        }
        return text;
    }
    return api::escape_html(value.dump());
}

void append_figures(std::string& html, const Json& object, const std::string& prefix) {
    for (const auto& [key, value] : object.items()) {
        if (key == "processes") continue;
        if (value.is_object()) {
            append_figures(html, value, key + " ");
            continue;
        }
        std::string label = prefix + key;
        std::replace(label.begin(), label.end(), '_', ' ');
        html += "<tr><th>" + api::escape_html(label) + "</th><td>" + cell_text(key, value) +
                "</td></tr>\n";
    }
}

void append_process_table(std::string& html, const Json& processes) {
    html += "<h2>Processes</h2>\n<table>\n<tr>";
    if (!processes.empty()) {
        for (const auto& [key, value] : processes.front().items()) {
            std::string label = key;
            std::replace(label.begin(), label.end(), '_', ' ');
            html += "<th>" + api::escape_html(label) + "</th>";
        }
    }
    html += "</tr>\n";
    for (const Json& process : processes) {
        html += "<tr>";
        for (const auto& [key, value] : process.items()) {
            html += "<td>" + cell_text(key, value) + "</td>";
        }
        html += "</tr>\n";
    }
    html += "</table>\n";
}

std::string render_html(const Json& status) {
    std::string html =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>forkd status</title>\n"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}</style>\n"
        "</head><body>\n<h1>forkd status</h1>\n<table>\n";
    append_figures(html, status, "");
    html += "</table>\n";
    if (status.contains("processes")) append_process_table(html, status["processes"]);
    html += "</body></html>\n";
    return html;
}

}  // namespace

StatusInfo status_info_from(const config::Config& config) {
    StatusInfo info;
    info.mode = std::string(config::to_string(config.mode));
    info.pm = std::string(config::to_string(config.pm));
    info.workers = config.workers;
    info.max_workers = config.max_workers;
    info.min_spare = config.min_spare;
    info.max_spare = config.max_spare;
    info.max_children = config.max_children;
    info.version = FORKD_VERSION_STRING;
    info.allow = config.status_allow;
    info.trusted_proxies = config.trusted_proxies;
    return info;
}

bool counts_as_active(ipc::SlotState state) {
    using ipc::SlotState;
    return state == SlotState::claimed || state == SlotState::reading || state == SlotState::busy ||
           state == SlotState::keepalive || state == SlotState::closing;
}

StatusSnapshot take_snapshot(const ipc::Scoreboard& scoreboard, uint64_t now_ms) {
    const ipc::ScoreboardHeader& header = scoreboard.header();
    StatusSnapshot snapshot;
    snapshot.now_ms = now_ms;
    snapshot.started_ms = header.started_ms.load();
    snapshot.accepted = header.accepted.load();
    snapshot.requests = header.requests.load();
    snapshot.listen_queue = header.listen_queue.load();
    snapshot.max_listen_queue = header.max_listen_queue.load();
    snapshot.max_workers_reached = header.max_workers_reached.load();
    snapshot.slow_requests = header.slow_requests.load();
    snapshot.queue_length = header.queued.load();
    snapshot.max_queue_length = header.max_queued.load();
    snapshot.queue_timeouts = header.queue_timeouts.load();
    for (std::size_t i = 0; i < snapshot.queue_waits.size(); ++i) {
        snapshot.queue_waits[i] = header.queue_wait_histogram[i].load();
    }
    snapshot.generation = header.generation.load();
    snapshot.degraded = header.degraded.load() != 0;
    for (std::size_t i = 0; i < scoreboard.size(); ++i) {
        ipc::SlotView slot = scoreboard.read(i);
        if (slot.state == ipc::SlotState::empty) continue;
        if (slot.state == ipc::SlotState::idle) ++snapshot.idle;
        if (counts_as_active(slot.state)) ++snapshot.active;
        uint64_t duration = 0;
        if (slot.request_started_ms != 0 && now_ms > slot.request_started_ms) {
            duration = now_ms - slot.request_started_ms;
        }
        snapshot.processes.push_back(ProcessRow{std::move(slot), duration});
    }
    snapshot.total = snapshot.idle + snapshot.active;
    // The master samples the peak; a burst between two samples is still seen here.
    snapshot.max_active = std::max(header.max_active.load(), snapshot.active);
    return snapshot;
}

StatusHandler::StatusHandler(const ipc::Scoreboard& scoreboard, StatusInfo info)
    : scoreboard_(scoreboard),
      info_(std::move(info)),
      allowed_(config::parse_allowed_networks(info_.allow, "status_allow")),
      trusted_(config::parse_allowed_networks(info_.trusted_proxies, "trusted_proxies")) {}

bool StatusHandler::is_allowed(const Request& request) const {
    // remote_addr is the client a trusted peer named (or the peer itself, when the peer is
    // not trusted or named nobody): the one checked either way.
    std::optional<config::AllowedNetwork> client = config::client_address(request.remote_addr);
    if (!client) return false;
    // An explicit entry is trusted whatever the headers say: the operator named that peer.
    if (config::contains_any(allowed_, *client)) return true;
    const std::string& peer_text =
        request.peer_addr.empty() ? request.remote_addr : request.peer_addr;
    std::optional<config::AllowedNetwork> peer = config::client_address(peer_text);
    bool trusted_peer = peer && config::contains_any(trusted_, *peer);
    // A trusted proxy's Forwarded and X-Forwarded-For named the client already; X-Real-IP,
    // which forkd does not read, still makes a loopback address not local.
    bool hidden =
        trusted_peer ? request.headers.contains("X-Real-IP") : came_through_proxy(request);
    return !hidden && config::is_loopback(*client);
}

Response StatusHandler::handle(const Request& request) {
    if (!is_allowed(request)) {
        return http::error_response(
            403, "The status page is served to local clients and status_allow only.");
    }
    if (request.method != "GET" && request.method != "HEAD") {
        Response response = http::error_response(405, "The status page answers GET and HEAD.");
        response.headers.set("Allow", "GET, HEAD");
        return response;
    }
    StatusSnapshot snapshot = take_snapshot(scoreboard_, ipc::Scoreboard::now_ms());
    Json status = status_json(snapshot, info_, has_query_flag(request.query, "full"));
    Response response;
    if (has_query_flag(request.query, "json")) {
        // Targets are client bytes, maybe cut mid-character by the slot: replace what is not
        // UTF-8 rather than throw.
        std::string body = status.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
        response = Response::text(200, std::move(body), "application/json");
    } else {
        response = Response::text(200, render_html(status), std::string(kHtml));
    }
    response.headers.set("Cache-Control", "no-store");
    return response;
}

void add_builtin_routes(Router& router, const config::Config& config,
                        const ipc::Scoreboard* scoreboard) {
    if (scoreboard != nullptr && (!config.status_path.empty() || !config.metrics_path.empty())) {
        auto status = std::make_shared<StatusHandler>(*scoreboard, status_info_from(config));
        if (!config.status_path.empty())
            router.add(config.status_path, Route::Match::exact, status);
        if (!config.metrics_path.empty()) {
            router.add(
                config.metrics_path, Route::Match::exact,
                std::make_shared<MetricsHandler>(*scoreboard, status_info_from(config), status));
        }
    }
    if (!config.health_path.empty() && scoreboard != nullptr) {
        router.add(config.health_path, Route::Match::exact,
                   std::make_shared<HealthHandler>(*scoreboard));
    }
    if (config.test_routes) add_test_routes(router);
}

}  // namespace forkd::handlers
