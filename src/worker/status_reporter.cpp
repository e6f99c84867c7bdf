#include "worker/status_reporter.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>

#include "base/log.hpp"
#include "os/process_title.hpp"
#include "os/signals.hpp"

namespace forkd::worker {

StatusReporter::StatusReporter(std::string_view role, ipc::Scoreboard* scoreboard, std::size_t slot,
                               ReporterSettings settings)
    : role_(role), scoreboard_(scoreboard), slot_(slot), settings_(settings) {}

void StatusReporter::idle() {
    os::set_process_title({"forkd: ", role_, " idle"});
    if (scoreboard_ != nullptr && !os::stop_requested()) {
        scoreboard_->set_state(slot_, ipc::SlotState::idle);
    }
}

void StatusReporter::connection_accepted() {
    if (scoreboard_ != nullptr) {
        scoreboard_->header().accepted.fetch_add(1, std::memory_order_relaxed);
    }
}

void StatusReporter::request_started(const Request& request) {
    request_start_ = std::chrono::steady_clock::now();
    // Targets are client bytes: cut them short, they only need to be recognisable.
    std::string_view target = request.target;
    if (target.size() > 64) target = target.substr(0, 64);
    os::set_process_title({"forkd: ", role_, " busy ", request.method, " ", target});
    if (scoreboard_ != nullptr) {
        scoreboard_->begin_request(slot_, request.method, request.target, request.remote_addr,
                                   request.route);
    }
}

void StatusReporter::request_finished(const Request& request, int status, std::size_t body_bytes,
                                      api::RouteKind kind) {
    ++served_;
    auto took_us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - request_start_);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(took_us);
    if (scoreboard_ != nullptr && settings_.count_requests) {
        ipc::record_response(scoreboard_->header().counters, kind, status, took_us, body_bytes);
    }
    if (settings_.slow_request_log.count() > 0 && took >= settings_.slow_request_log) {
        log::warn("slow request: {} {} took {} ms (status {}, pid {}, request {})", request.method,
                  request.target, took.count(), status, ::getpid(), request.request_id);
        if (scoreboard_ != nullptr) scoreboard_->header().slow_requests.fetch_add(1);
    }
    os::set_process_title({"forkd: ", role_, " keepalive"});
    if (scoreboard_ != nullptr) {
        scoreboard_->end_request(slot_, ipc::SlotState::keepalive, body_bytes);
    }
    retire_if_quota_reached();
}

void StatusReporter::error_answered(int status, std::size_t body_bytes) {
    if (scoreboard_ == nullptr || !settings_.count_requests) return;
    ipc::record_response(scoreboard_->header().counters, api::RouteKind::none, status,
                         std::chrono::microseconds(0), body_bytes);
}

void StatusReporter::note_served_in_slot() {
    if (scoreboard_ == nullptr) return;
    served_ = std::max(served_, scoreboard_->read(slot_).requests);
    if (settings_.max_requests == 0 || served_ < settings_.max_requests || os::stop_requested())
        return;
    log::info("{} served {} requests (max_requests): retiring", role_, served_);
    os::request_stop();
}

void StatusReporter::retire_if_quota_reached() {
    if (settings_.max_requests == 0 || served_ < settings_.max_requests) return;
    if (os::stop_requested()) return;
    log::info("{} served {} requests (max_requests): retiring", role_, served_);
    // The same path as a graceful stop: this connection closes after this response.
    os::request_stop();
    if (scoreboard_ != nullptr) scoreboard_->set_state(slot_, ipc::SlotState::closing);
}

uint64_t request_quota(int max_requests, int jitter) {
    if (max_requests <= 0) return 0;
    if (jitter <= 0) return static_cast<uint64_t>(max_requests);
    std::minstd_rand random(static_cast<unsigned>(::getpid()));
    std::uniform_int_distribution<int> extra(0, jitter);
    return static_cast<uint64_t>(max_requests + extra(random));
}

}  // namespace forkd::worker
