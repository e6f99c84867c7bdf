// A FastCGI application that forkd starts and keeps itself (`fastcgi = [".php=spawn:/usr/bin/
// php-cgi"]`): one process per serving process that runs blocking routes (a prefork worker,
// a hybrid app worker), so the pool the process manager keeps (pm, max_requests, max_rss,
// the scoreboard) is the pool of applications. lighttpd's and mod_fcgid's model, without a
// second process manager.
//
// The application gets a private listening socket as fd 0 (FCGI_LISTENSOCK_FILENO, which
// is how php-cgi knows to speak FastCGI) to which this process has already connected, and
// nothing else of the server's (os/spawn.hpp: its own session, fds 0-2 only, death with its
// parent). Requests go over that one kept connection (FCGI_KEEP_CONN), one at a time.
//
// In hybrid mode the application listens at a path instead (`socket_path`, in a directory
// only forkd's user may enter, made by the master), so that the io workers can connect to
// it too and speak FastCGI to it themselves (front/io_worker_fastcgi.cpp): a connection per
// request, without FCGI_KEEP_CONN, as nginx's to php-fpm. The listening socket belongs to
// this process and outlives each application process: a connection made while one is
// replaced waits in its backlog for the next. Only while a start-up failure's back-off
// runs is there no listener (connections are refused: 502 at once).
//
// Its life:
// - An exit with status 0 is a planned retirement (php-cgi quits after
//   PHP_FCGI_MAX_REQUESTS, `quits_after`): one that has answered that many is waited for
//   before the next request, so that no request is sent to a socket about to close, and a
//   new one is started.
// - A request abandoned before its answer was whole (timeout, client gone, broken
//   protocol) leaves its state unknown: the application's process group is killed, and the
//   next request starts a new one. A client that leaves once the answer is whole costs
//   nothing. A crash answers its request 502 (the exchange sees the connection end) and is
//   logged with the signal.
// - One that dies before answering anything (a start-up failure) is started again only
//   after a back-off (100 ms, doubling, at most 30 s); requests meanwhile get 502 at once.
// - While a request runs, the application's process group is the request's child group
//   (os/request_guard.hpp): request_timeout and a crash of this process kill it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "os/spawn.hpp"

namespace forkd::cgi {

struct SpawnSpec {
    std::string program;                   // "/usr/bin/php-cgi"
    std::vector<std::string> environment;  // its whole environment
    std::vector<os::ResourceLimit> limits;
    std::chrono::milliseconds kill_grace{5000};  // between TERM and KILL when it is stopped
    std::size_t stderr_limit = 64 * 1024;        // of its own stderr per drain
    uint64_t quits_after = 0;  // it exits by itself after this many requests (0: never)
};

class SpawnedApplication {
  public:
    // `socket_path` empty: the private socket and its one kept connection. Otherwise
    // `requests_in_slot` (may be null) counts the requests of the serving process's slot,
    // the io workers' included: what tells a crash from a start-up failure.
    explicit SpawnedApplication(SpawnSpec spec, std::string socket_path = "",
                                uint64_t (*requests_in_slot)() = nullptr);
    ~SpawnedApplication();  // stop()
    SpawnedApplication(const SpawnedApplication&) = delete;
    SpawnedApplication& operator=(const SpawnedApplication&) = delete;

    // Starts the application now (a worker's start), so its first request does not wait for
    // it. False (logged) when it cannot be started.
    bool start();

    // The connection to send the next request on, after making sure the application still
    // runs; starts one first when none runs. Invalid (logged) when none can be started: the
    // request gets 502. Names the application's group as the request's child group.
    Fd take_connection();
    // The request on `connection` ended cleanly: kept for the next one.
    void give_back(Fd connection);
    // The request ended before its answer was whole: its state is unknown, so the
    // application is ended (KILL) and reaped; the next request starts a new one.
    void abandon();
    // TERM, up to kill_grace for it to exit, then KILL; reaped. For the serving process's
    // own exit.
    void stop();

    // Listening at a path: an exit (`exit_fd` readable, -1 when none runs) is reaped and the
    // application started again (after the back-off, once it has passed) right away, not
    // at the next request: other processes send it requests.
    int exit_fd() const { return program_.exited.get(); }
    void tend();

    // Whether requests go over one kept connection (FCGI_KEEP_CONN): in private mode.
    bool keeps_connection() const { return !shared(); }
    pid_t pid() const { return program_.pid; }
    const std::string& program() const { return spec_.program; }

  private:
    bool running() const { return program_.pid > 0; }
    bool launch();
    // Whether a running application has exited or closed its end (`now`, from one poll); if
    // so it is reaped and what happened is logged.
    bool settle_if_gone(const os::ProgramEvents& now);
    void reaped(int status);
    void drain_errors();
    void forget();

    bool shared() const { return !socket_path_.empty(); }
    Fd connect();
    // Requests this process of the application answered, as far as this process knows.
    uint64_t served() const;

    SpawnSpec spec_;
    std::string socket_path_;
    Fd listener_;  // at socket_path_, kept across application processes
    os::StartedProgram program_;
    Fd connection_;
    uint64_t served_ = 0;  // requests this process of the application answered
    int failures_ = 0;     // start-up failures in a row
    uint64_t (*requests_in_slot_)() = nullptr;
    uint64_t slot_requests_at_start_ = 0;
    std::chrono::steady_clock::time_point not_before_{};
};

// The spawned applications of this serving process, one per program. Made in the serving
// process (never in the master) from the configuration's `fastcgi` entries; `observer`
// (optional) hears the pid of every application started or ended (0), to publish it on
// the scoreboard.
class SpawnedApplications {
  public:
    // `socket_directory` non-empty (hybrid mode): each application listens at its
    // application_socket(socket_directory, slot, its index).
    SpawnedApplications(std::vector<SpawnSpec> specs, void (*observer)(pid_t) = nullptr,
                        const std::string& socket_directory = "", std::size_t slot = 0,
                        uint64_t (*requests_in_slot)() = nullptr);
    ~SpawnedApplications();
    SpawnedApplications(const SpawnedApplications&) = delete;
    SpawnedApplications& operator=(const SpawnedApplications&) = delete;

    // Starts every application (see SpawnedApplication::start).
    void start_all();
    // The exit fds of the applications running (SpawnedApplication::exit_fd), and tend()
    // for each.
    std::vector<int> exit_fds() const;
    void tend_all();
};

// Where the application `index` (its place among spawn_specs) of the serving process in
// scoreboard slot `slot` listens, under hybrid mode's socket directory.
std::string application_socket(const std::string& directory, std::size_t slot, std::size_t index);

// The application of this process for `program`, or nullptr when this process has none
// (no SpawnedApplications lives here).
SpawnedApplication* spawned_application(const std::string& program);

// "spawn:/usr/bin/php-cgi" -> "/usr/bin/php-cgi"; "" for an address.
std::string spawned_program(const std::string& upstream);

}  // namespace forkd::cgi
