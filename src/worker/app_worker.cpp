#include "worker/app_worker.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include "api/respond.hpp"
#include "api/route_kind.hpp"
#include "base/log.hpp"
#include "http/response_head.hpp"
#include "ipc/hand_off.hpp"
#include "ipc/started_marks.hpp"
#include "os/fd_passing.hpp"
#include "os/io.hpp"
#include "os/request_guard.hpp"
#include "os/signals.hpp"
#include "session/response_sender.hpp"

namespace forkd::worker {
namespace {

// A claim whose message never came (its io worker died between claim and send) is undone
// after this long, so the slot does not stay claimed forever.
constexpr std::chrono::seconds kStaleClaim{1};

// The app worker's end of its link with each io worker that handed it a request
// (ipc/hand_off.hpp): where completions go, and that io worker's started marks.
struct IoLink {
    pid_t io_pid = 0;
    Fd socket;
    ipc::StartedMarks marks;
};

// The link a hand-off's completion goes back on: the one it brought (fds 1 and 2), which
// replaces an older one of the same io worker and prunes those of io workers gone since,
// or the one kept from an earlier hand-off of that io worker. nullptr when neither works.
// The caller has checked that the fds the hand-off names are there.
IoLink* link_for(const ipc::HandOff& hand_off, std::vector<Fd>& fds, std::vector<IoLink>& links,
                 std::size_t slots) {
    if (!hand_off.link_attached) {
        auto found = std::ranges::find(links, hand_off.io_pid, &IoLink::io_pid);
        return found == links.end() ? nullptr : &*found;
    }
    std::optional<ipc::StartedMarks> marks = ipc::StartedMarks::attach(fds[2].get(), slots);
    if (!marks) return nullptr;
    std::erase_if(links, [&](const IoLink& link) {
        return link.io_pid == hand_off.io_pid || os::hung_up(link.socket.get());
    });
    links.push_back(IoLink{hand_off.io_pid, std::move(fds[1]), std::move(*marks)});
    return &links.back();
}

// A body that came as a file reaches the handler as that file (RequestBody reads it in
// place). A handler must never see a partial body as if it were whole, so a file that is
// not there is answered 500 instead.
bool body_arrived(ipc::HandOff& hand_off, std::vector<Fd>& fds) {
    if (!hand_off.body_in_file) return true;
    std::optional<uint64_t> size = os::file_size(fds.back().get());
    if (!size) {
        log::error("a hand-off lost its request body; answering 500");
        return false;
    }
    hand_off.request.body = RequestBody::from_file(fds.back().release(), *size);
    return true;
}

// Runs the request and writes the response; returns the completion to report.
ipc::Completion run_hand_off(ipc::HandOff& hand_off, std::vector<Fd>& fds, IoLink& link,
                             std::size_t slot, const session::Services& services,
                             StatusReporter& status) {
    Request& request = hand_off.request;
    int client = fds[0].get();
    // Routed first, so that the scoreboard (and a crash's log line) names the route.
    RouteMatch route = api::route_request(services.router, request);
    status.request_started(request);
    // No answer from the signal handlers here: the io worker answers for a dead app worker.
    os::begin_guarded_request(client, services.options.request_timeout, false);
    Response response = body_arrived(hand_off, fds)
                            ? api::respond(services.router, route, request)
                            : http::error_response(500, "The request body was lost in transit.");
    link.marks.mark(slot, hand_off.sequence);  // before the first byte goes out
    session::SendResult sent = session::send_response(
        client, request, response, hand_off.keep_alive_allowed, services.options);
    os::end_guarded_request();
    status.request_finished(request, response.status, sent.body_bytes,
                            api::take_route_kind(api::RouteKind::blocking));
    return {hand_off.sequence, response.status, sent.body_bytes, sent.complete, sent.keep_alive};
}

// Whether a stopping app worker may leave. An io worker may have claimed this idle slot a
// moment ago and be sending its hand-off: leaving now would turn that request into a 502.
// So the worker claims its own slot (no io worker can claim it after that); when the claim
// fails because an io worker holds it, the worker serves that hand-off first.
// An io worker that relays a request to this worker's FastCGI application itself holds the
// slot `busy` until the answer has ended: the application must outlive that too.
bool may_leave(ipc::Scoreboard& scoreboard, std::size_t slot) {
    if (scoreboard.try_claim(slot)) return true;
    ipc::SlotState state = scoreboard.state(slot);
    return state != ipc::SlotState::claimed && state != ipc::SlotState::busy;
}

}  // namespace

void serve_hand_offs(int dispatch_socket, std::size_t max_message,
                     const session::Services& services, ipc::Scoreboard& scoreboard,
                     std::size_t slot, StatusReporter& status, KeptApplications* applications) {
    pid_t self = ::getpid();
    std::vector<IoLink> links;
    status.idle();
    auto claimed_since = os::Clock::time_point::max();
    std::vector<int> watched;
    std::vector<bool> ready;
    // Kept from one hand-off to the next, so that their buffers are not allocated again.
    os::ReceivedMessage message;
    ipc::HandOff hand_off;  // its request made anew by each decode (api::renew)
    std::string completion_message;
    while (!(os::stop_requested() && may_leave(scoreboard, slot))) {
        // Nothing a message brought is held while waiting: a dropped hand-off's fds close
        // here, at once, and that close is what tells its io worker (502).
        message.fds.clear();
        // The dispatch socket, and the exit of each application the io workers also send
        // requests to: one that exits is started again at once.
        watched.assign(1, dispatch_socket);
        if (applications != nullptr) {
            std::vector<int> exits = applications->exit_fds();
            watched.insert(watched.end(), exits.begin(), exits.end());
        }
        os::Wait wait = os::wait_for_any_input(watched, os::Clock::now() + kStaleClaim, ready);
        if (applications != nullptr) {
            applications->tend();
            // Requests the io workers sent the applications directly count too.
            status.note_served_in_slot();
        }
        if (wait != os::Wait::ready || !ready[0]) {
            bool claimed = scoreboard.state(slot) == ipc::SlotState::claimed;
            if (!claimed)
                claimed_since = os::Clock::time_point::max();
            else if (claimed_since == os::Clock::time_point::max())
                claimed_since = os::Clock::now();
            else if (os::Clock::now() - claimed_since >= kStaleClaim)
                scoreboard.try_unclaim(slot);
            continue;
        }
        if (!os::receive_message(dispatch_socket, max_message, message) || message.closed) continue;
        if (!ipc::decode_hand_off(message.bytes, hand_off)) continue;
        // A message meant for a predecessor in this slot is dropped; closing its fds tells
        // the io worker (the link it brought closes with no mark made: 502).
        std::size_t fds_needed =
            1 + (hand_off.link_attached ? 2 : 0) + (hand_off.body_in_file ? 1 : 0);
        if (hand_off.worker_pid != self || message.fds.size() < fds_needed) continue;
        IoLink* link = link_for(hand_off, message.fds, links, scoreboard.size());
        if (link == nullptr) {
            // The io worker waits for this hand-off on a link this worker does not have:
            // only this process ending closes every link and tells it (502).
            log::error("a hand-off from io worker {} came without a usable link; leaving",
                       hand_off.io_pid);
            return;
        }
        ipc::Completion done = run_hand_off(hand_off, message.fds, *link, slot, services, status);
        claimed_since = os::Clock::time_point::max();
        // This process's copies of the connection and the body close first: the io worker
        // that resumes the connection is then its only holder (a close it decides is a FIN).
        // The kept request's body goes too: a body in a file holds an fd of it, and its
        // temp file's room on disk, until the next hand-off would renew the request.
        message.fds.clear();
        hand_off.request.body = RequestBody();
        // Idle before the completion goes: the io worker that reads it looks for an idle app
        // worker for its next queued request at once, and this one should be among them.
        if (!os::stop_requested()) status.idle();
        ipc::encode(done, completion_message);
        os::send_message(link->socket.get(), completion_message);
    }
}

}  // namespace forkd::worker
