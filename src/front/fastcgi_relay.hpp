// A request an io worker sends to a spawned FastCGI application itself (hybrid mode with
// `fastcgi = [".php=spawn:..."]`): one hop, as nginx's to php-fpm, instead of the hand-off
// to the app worker that keeps the application and then its exchange with it.
//
// The app worker keeps supervising the application (its start, restarts, max_requests,
// max_rss, the scoreboard slot); the io worker only borrows it for one request. It claims
// the slot as for a hand-off (only idle applications get a request; the queue and its
// deadline hold), marks it busy with the request, connects to the socket the application
// listens on (cgi::application_socket), sends the request and relays the answer: whole
// with a Content-Length when it ends with its head (a small page), else chunk by chunk as
// it comes, reading from the application only while the client takes what was read.
// The slot is idle again when the answer has ended (or the exchange failed).
//
// Failures: the application unreachable or closing before its answer ended, a broken
// record stream or header block: 502 (the connection is closed once part of the answer
// went out). cgi_timeout, cgi_idle_timeout or request_timeout: 504, and the application is
// killed (its state is unknown; its app worker starts a new one). A client that leaves:
// an answer that ends within 200 ms is dropped and the application kept (warm); otherwise
// it is killed rather than left running a script for nobody.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "base/fd.hpp"
#include "cgi/program_run.hpp"
#include "cgi/stderr_log.hpp"
#include "fastcgi/response_reader.hpp"

namespace forkd::front {

struct FastcgiRelay {
    FastcgiRelay(std::string label_, const cgi::RunLimits& limits_)
        : label(std::move(label_)), limits(limits_), errors(label, limits.stderr_limit) {}

    std::string label;  // the script and request, for log lines
    cgi::RunLimits limits;
    std::size_t program = 0;  // the application's index among the spawned ones
    std::string records;      // the whole request, to send
    std::size_t sent = 0;     // of `records`
    bool keep_alive = false;
    std::size_t slot = 0;
    pid_t owner = 0;       // the app worker in `slot` when it was claimed
    bool claimed = false;  // the slot is ours (from the claim until the exchange ends)
    Fd upstream;
    fastcgi::ResponseReader reader{1};
    std::string received;  // bytes read, not yet consumed by `reader`
    std::string output;    // STDOUT not yet passed on (the header block, until it is whole)
    bool head_sent = false;
    bool chunked = false;      // the answer goes out chunked (HTTP/1.1, its end not known)
    bool head_only = false;    // a HEAD request, or a 204/304: the body is read and dropped
    bool paused = false;       // not reading from the application until the client catches up
    bool client_gone = false;  // the client left: what remains of the answer is dropped
    std::chrono::steady_clock::time_point started{};
    std::chrono::steady_clock::time_point last_output{};
    cgi::StderrLog errors;
};

}  // namespace forkd::front
