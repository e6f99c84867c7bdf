#include "worker/app_worker.hpp"

#include <poll.h>
#include <unistd.h>

#include <chrono>

#include "base/log.hpp"
#include "http/response_head.hpp"
#include "ipc/hand_off.hpp"
#include "os/fd_passing.hpp"
#include "os/io.hpp"
#include "os/request_guard.hpp"
#include "os/signals.hpp"
#include "session/respond.hpp"
#include "session/response_sender.hpp"

namespace forkd::worker {
namespace {

// A claim whose message never came (its io worker died between claim and send) is undone
// after this long, so the slot does not stay claimed forever.
constexpr std::chrono::seconds kStaleClaim{1};

// Reads a body that came as a file into the request. A handler must never see a partial
// body as if it were whole, so a body that cannot be read is answered 500 instead.
bool body_arrived(ipc::HandOff& hand_off, std::vector<Fd>& fds) {
    if (!hand_off.body_in_file) return true;
    if (fds.size() >= 3 && os::read_whole_file(fds[2].get(), hand_off.request.body)) return true;
    log::error("a hand-off lost its request body; answering 500");
    return false;
}

void run_hand_off(ipc::HandOff& hand_off, std::vector<Fd>& fds, const session::Services& services,
                  StatusReporter& status) {
    Request& request = hand_off.request;
    int client = fds[0].get();
    int completion = fds[1].get();
    status.request_started(request);
    // No answer from the signal handlers here: the io worker answers for a dead app worker.
    os::begin_guarded_request(-1, services.options.request_timeout);
    Response response = body_arrived(hand_off, fds)
                            ? session::respond(services.router, request)
                            : http::error_response(500, "The request body was lost in transit.");
    os::send_message(completion, std::string_view(&ipc::kStarted, 1));
    session::SendResult sent = session::send_response(
        client, request, response, hand_off.keep_alive_allowed, services.options);
    os::end_guarded_request();
    ipc::Completion done{response.status, sent.body_bytes, sent.complete, sent.keep_alive};
    os::send_message(completion, ipc::encode(done));
    status.request_finished(request, response.status, sent.body_bytes);
}

// Whether a stopping app worker may leave. An io worker may have claimed this idle slot a
// moment ago and be sending its hand-off: leaving now would turn that request into a 502.
// So the worker claims its own slot (no io worker can claim it after that); when the claim
// fails because an io worker holds it, the worker serves that hand-off first.
bool may_leave(ipc::Scoreboard& scoreboard, std::size_t slot) {
    return scoreboard.try_claim(slot) || scoreboard.state(slot) != ipc::SlotState::claimed;
}

}  // namespace

void serve_hand_offs(int dispatch_socket, std::size_t max_message,
                     const session::Services& services, ipc::Scoreboard& scoreboard,
                     std::size_t slot, StatusReporter& status) {
    pid_t self = ::getpid();
    status.idle();
    auto claimed_since = os::Clock::time_point::max();
    while (!(os::stop_requested() && may_leave(scoreboard, slot))) {
        os::Wait wait = os::wait_for(dispatch_socket, POLLIN, os::Clock::now() + kStaleClaim);
        if (wait != os::Wait::ready) {
            bool claimed = scoreboard.state(slot) == ipc::SlotState::claimed;
            if (!claimed)
                claimed_since = os::Clock::time_point::max();
            else if (claimed_since == os::Clock::time_point::max())
                claimed_since = os::Clock::now();
            else if (os::Clock::now() - claimed_since >= kStaleClaim)
                scoreboard.try_unclaim(slot);
            continue;
        }
        std::optional<os::ReceivedMessage> message =
            os::receive_message(dispatch_socket, max_message);
        if (!message || message->closed) continue;
        std::optional<ipc::HandOff> hand_off = ipc::decode_hand_off(message->bytes);
        // A message meant for a predecessor in this slot is dropped; closing its fds tells
        // the io worker (the completion socket closes without "started": 502).
        if (!hand_off || hand_off->worker_pid != self || message->fds.size() < 2) continue;
        run_hand_off(*hand_off, message->fds, services, status);
        claimed_since = os::Clock::time_point::max();
        if (!os::stop_requested()) status.idle();
    }
}

}  // namespace forkd::worker
