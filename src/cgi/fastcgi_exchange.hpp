// One request to a FastCGI application (php-fpm, fcgiwrap): the CGI environment as PARAMS,
// the body as STDIN, then STDOUT read piece by piece (for the same header block and body
// handling as a CGI program), FCGI_STDERR into the error log, under the CGI deadlines.
//
// A serving process runs one request at a time, so it keeps at most one idle connection per
// application (FCGI_KEEP_CONN, with `fastcgi_keep_conn`): as many connections as serving
// processes at most, as nginx's keepalive to php-fpm. A kept connection that turns out to be
// closed is replaced once before the request fails. A request abandoned before its end
// (timeout, client gone) gets ABORT_REQUEST and its connection is closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "cgi/environment.hpp"
#include "cgi/gateway_output.hpp"
#include "cgi/program_run.hpp"
#include "cgi/spawned_application.hpp"
#include "cgi/stderr_log.hpp"
#include "fastcgi/response_reader.hpp"
#include "forkd/request.hpp"

namespace forkd::cgi {

// How long a spawned application's answer may take to end once nobody reads it: one that
// ends in it keeps its application (warm); otherwise the application is killed.
inline constexpr std::chrono::milliseconds kAbandonGrace{200};

// BEGIN_REQUEST, the environment as PARAMS, `body` as STDIN and its end: a whole request
// that fits in memory, as one string.
std::string fastcgi_request_records(const std::vector<Variable>& environment, std::string_view body,
                                    bool keep_conn);

class FastcgiExchange final : public GatewayOutput {
  public:
    // `spawned`: the application this process started itself, whose one connection every
    // request takes (always kept); nullptr: connect to `upstream`.
    FastcgiExchange(std::string upstream, bool keep_conn, RunLimits limits, std::string label,
                    SpawnedApplication* spawned = nullptr);
    ~FastcgiExchange() override;
    FastcgiExchange(const FastcgiExchange&) = delete;
    FastcgiExchange& operator=(const FastcgiExchange&) = delete;

    // Connects (or takes the kept connection) and sends the whole request. False when the
    // application cannot be reached or took nothing (logged): the client gets 502.
    bool send(const std::vector<Variable>& environment, const RequestBody& body);

    Read read_output(std::string& out) override;
    bool complete() const override;
    void end(bool abandon) override;

  private:
    bool send_on(Fd& connection, const std::string& head, const RequestBody& body);
    // Reads what is left of the answer, discarding its output, until it ends or `deadline`.
    void finish_unread(std::chrono::steady_clock::time_point deadline);
    bool send_to_spawned(const std::string& head, const RequestBody& body);

    std::string upstream_;
    bool keep_conn_;
    RunLimits limits_;
    std::string label_;
    SpawnedApplication* spawned_;
    Fd connection_;
    fastcgi::ResponseReader reader_{1};
    std::string received_;    // bytes read and not yet consumed by reader_
    bool answering_ = false;  // some of the answer has arrived
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_output_;
    bool ended_ = false;
    StderrLog errors_;
};

}  // namespace forkd::cgi
