// An io worker of hybrid mode: an epoll loop that accepts, reads and parses requests with
// timeouts, keeps idle keep-alive connections for a few hundred bytes each, answers inline
// routes itself, and hands blocking ones to idle app workers with the client fd
// (SCM_RIGHTS). A blocking request waits in the io worker's own bounded queue, never in a
// kernel buffer that cannot be withdrawn: past queue_timeout it gets 503 at once, and one
// whose client left is dropped unrun. While an app worker owns a connection the io worker
// does not watch it; it resumes it when the completion arrives on its link with that app
// worker, and answers 502 or 504 itself when the app worker died before writing anything. Request
// bodies stay in memory up to body_buffer_size, then go to an unlinked temp file
// (session/body_spool.hpp).
//
// On a reload the io workers of the old generation hand their idle keep-alive connections
// to the new one (SCM_RIGHTS again, on the hand-over socket every io worker shares) instead
// of closing them.
//
// The IoWorker class is implemented in six files: io_worker.cpp (the loop, accepting,
// reading and routing), io_worker_response.cpp (writing responses, then keep-alive, linger
// or close), io_worker_timers.cpp (each connection's deadline), io_worker_blocking.cpp (the
// queue and the hand-off to app workers), io_worker_fastcgi.cpp (requests relayed to spawned
// FastCGI applications), io_worker_reload.cpp (stopping, and idle connections passed between
// generations).
//
// A request path runs forward: a step that would lead back to an earlier one (a response
// written, and the next request already buffered) marks the connection ready, and the loop
// takes it from there after the turn's events (go_on). So no step finds its connection
// closed under it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "event/loop.hpp"
#include "forkd/app.hpp"
#include "forkd/handler.hpp"
#include "front/client.hpp"
#include "front/hand_off_sender.hpp"
#include "ipc/hand_off.hpp"
#include "ipc/scoreboard.hpp"
#include "ipc/started_marks.hpp"
#include "os/fd_passing.hpp"
#include "session/access_log.hpp"
#include "session/body_spool.hpp"
#include "session/connection.hpp"

namespace forkd::front {

struct IoContext {
    const config::Config& config;
    const session::Options& options;
    const Router& router;
    session::AccessLog& access_log;
    ipc::Scoreboard& scoreboard;
    std::size_t slot;                                     // this io worker's scoreboard slot
    uint32_t generation;                                  // the configuration generation it serves
    std::span<const session::ListeningSocket> listeners;  // shared with the other io workers
    std::span<const int> dispatch_sockets;                // per scoreboard slot; -1 where none
    int hand_over_sender;      // the hand-over socket, both ends shared by
    int hand_over_receiver;    //   every io worker (ipc/hand_off.hpp)
    std::string role;          // "io 1": process title and logs
    const App* app = nullptr;  // its on_worker_start/exit hooks run here too:
                               //   inline handlers run in io workers
    // Where the app workers' spawned FastCGI applications listen (cgi::application_socket),
    // for requests this io worker sends them itself (front/fastcgi_relay.hpp); empty: none.
    std::string application_sockets = {};
};

// Runs until a graceful stop has finished every request in flight; returns the exit code.
// Precondition: os::enter_serving_signal_state() was called.
int run_io_worker(const IoContext& context);

class IoWorker {
  public:
    using Clock = os::Clock;

    explicit IoWorker(const IoContext& context);
    int run();

  private:
    // This io worker's link with each app worker it handed a request to, by scoreboard slot
    // (ipc/hand_off.hpp): completions come back on it, and it closing means the app worker
    // is gone. Hand-offs without their completion yet: the app worker runs one at a time,
    // but it is idle (and may be handed the next) once it has sent a completion this io
    // worker has not read yet.
    struct PendingHandOff {
        uint64_t sequence;
        uint64_t client;
    };
    struct WorkerLink {
        pid_t pid = 0;
        Fd socket;
        std::vector<PendingHandOff> pending;
    };

    // The loop and connections (io_worker.cpp).
    void go_on();
    void mark_ready(Client& client);
    void serve_ready();
    void accept_from(const session::ListeningSocket& listener);
    Client& add_client(Fd fd, std::string peer);
    bool take_proxy_header(Client& client);
    void on_client_event(uint64_t id, uint32_t events);
    void read_from(Client& client);
    void read_ahead(Client& client, uint32_t events);
    void process_input(Client& client);
    void handle_request(Client& client);
    // The current request is done with (answered, or given up): the parser may read the next.
    void release_request(Client& client);
    void route_current(Client& client);
    void close_client(Client& client);
    bool accepting_allowed() const;
    void watch_listeners(bool on);
    std::chrono::milliseconds wait_time(Clock::time_point now) const;
    Client* find(uint64_t id);
    // Responses (io_worker_response.cpp).
    void answer(Client& client, Response response, bool keep_alive);
    void answer_error(Client& client, int status, std::string_view detail);
    void start_writing(Client& client);
    void flush(Client& client);
    void record_response(Client& client);
    void log_access(const Client& client, int status, std::size_t body_bytes);
    void response_done(Client& client);
    void resume_reading(Client& client);
    void linger(Client& client);
    // Timers (io_worker_timers.cpp).
    void set_deadline(Client& client, Clock::duration after);
    void expire(Clock::time_point now);
    // Blocking requests (io_worker_blocking.cpp).
    void queue_blocking(Client& client);
    void dispatch_queue(Clock::time_point now);
    bool hand_off(Client& client, std::size_t slot);
    bool link_to(std::size_t slot, pid_t pid, Fd& their_end);
    void on_link_event(std::size_t slot);
    void complete(WorkerLink& link, const ipc::Completion& done);
    void settle_link(std::size_t slot);
    void drop_link(std::size_t slot);
    void watch_again(Client& client);
    void finish_hand_off(Client& client, const ipc::Completion& done);
    void worker_died(Client& client, bool response_started);
    void expire_queue(Clock::time_point now);
    // Requests to spawned FastCGI applications (io_worker_fastcgi.cpp).
    bool relay_if_direct(Client& client, Handler* handler);
    void start_relay(Client& client, std::size_t slot);
    bool send_records(Client& client);
    void hand_off_instead(Client& client, std::size_t slot, int error);
    Clock::duration relay_wait(const FastcgiRelay& relay) const;
    void on_relay_event(uint64_t id, uint32_t events);
    void read_from_application(Client& client);
    void pass_head(Client& client, bool finished);
    void pass_output(Client& client, bool finished);
    void relay_flushed(Client& client);
    void on_relaying_client_event(Client& client, uint32_t events);
    void relay_client_left(Client& client);
    void relay_timed_out(Client& client);
    void relay_failed(Client& client, int status, bool kill);
    void end_relay(Client& client, bool kill);
    void redirect_locally(Client& client, const std::string& target);
    // Stopping and reloads (io_worker_reload.cpp).
    void begin_stop();
    bool superseded() const;
    void keep_alive_while_stopping(Client& client);
    void hand_over_idle_connections();
    void adopt_connections();

    const IoContext& context_;
    const session::Options& options_;
    HandOffSender sender_;
    session::BodySpool spool_;
    event::Loop loop_;
    std::unordered_map<uint64_t, std::unique_ptr<Client>> clients_;
    // Connections the loop goes on with after the turn's events (Client::ready), and those
    // being served (two vectors swapped: no allocation per turn).
    std::vector<uint64_t> ready_;
    std::vector<uint64_t> serving_;
    std::deque<uint64_t> queue_;  // blocking requests waiting for an app worker, oldest first
    std::vector<WorkerLink> links_;
    ipc::StartedMarks marks_;
    uint64_t next_sequence_ = 1;
    // Kept from message to message, so that neither is allocated again each time.
    std::string hand_off_message_;
    os::ReceivedMessage link_message_;
    pid_t self_;
    // metrics_path is set: each response is counted for the metrics (ipc/server_counters.hpp).
    bool counts_requests_;
    using Timer = std::pair<Clock::time_point, uint64_t>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    uint64_t next_id_ = 1;
    bool listening_ = false;
    Clock::time_point resume_accepting_at_{};  // after running out of file descriptors
    bool stopping_ = false;
    std::deque<uint64_t> to_hand_over_;  // idle connections for the next generation
    std::vector<std::string> programs_;  // the spawned FastCGI applications, in their order
    std::size_t handed_over_ = 0;
};

}  // namespace forkd::front
