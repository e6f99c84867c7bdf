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
    explicit SpawnedApplication(SpawnSpec spec);
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

    SpawnSpec spec_;
    os::StartedProgram program_;
    Fd connection_;
    uint64_t served_ = 0;  // requests this process of the application answered
    int failures_ = 0;     // start-up failures in a row
    std::chrono::steady_clock::time_point not_before_{};
};

// The spawned applications of this serving process, one per program. Made in the serving
// process (never in the master) from the configuration's `fastcgi` entries; `observer`
// (optional) hears the pid of every application started or ended (0), to publish it on
// the scoreboard.
class SpawnedApplications {
  public:
    SpawnedApplications(std::vector<SpawnSpec> specs, void (*observer)(pid_t) = nullptr);
    ~SpawnedApplications();
    SpawnedApplications(const SpawnedApplications&) = delete;
    SpawnedApplications& operator=(const SpawnedApplications&) = delete;

    // Starts every application (see SpawnedApplication::start).
    void start_all();
};

// The application of this process for `program`, or nullptr when this process has none
// (no SpawnedApplications lives here).
SpawnedApplication* spawned_application(const std::string& program);

// "spawn:/usr/bin/php-cgi" -> "/usr/bin/php-cgi"; "" for an address.
std::string spawned_program(const std::string& upstream);

}  // namespace forkd::cgi
