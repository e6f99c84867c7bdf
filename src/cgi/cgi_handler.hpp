// CGI/1.1 (RFC 3875): programs in any language as blocking handlers.
//
// `cgi` maps a URL prefix to a directory whose every file is run (Apache's ScriptAlias);
// `cgi_interpreters` runs files with an extension under the document root through an
// interpreter (".php=/usr/bin/php-cgi"), everything else there staying a static file. The
// program runs in the serving process's place for the request: an app worker (hybrid), a
// prefork worker, a fork-mode connection child or the single process, in a process group of
// its own that ends with the request (program_run.hpp). Its stdin is the request body (a
// spooled body's file itself); its output streams to the client as it comes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cgi/environment.hpp"
#include "cgi/gateway_output.hpp"
#include "cgi/program_run.hpp"
#include "cgi/real_directory.hpp"
#include "cgi/script_lookup.hpp"
#include "cgi/spawned_application.hpp"
#include "config/config.hpp"
#include "forkd/handler.hpp"
#include "os/spawn.hpp"

namespace forkd::cgi {

// What every CGI route of a configuration shares.
struct CgiSettings {
    RunLimits limits;
    EnvironmentRules environment;
    LookupRules lookup;
    std::vector<os::ResourceLimit> resource_limits;
    bool fastcgi_keep_conn = false;
};
CgiSettings settings_from(const config::Config& config);

// A request an io worker sends to a spawned FastCGI application itself (hybrid mode,
// front/io_worker_fastcgi.cpp): which application, and the whole request as FastCGI records.
struct DirectRequest {
    std::string program;  // the spawned application ("/usr/bin/php-cgi")
    std::string records;  // BEGIN_REQUEST (no FCGI_KEEP_CONN), PARAMS, STDIN with the body
    std::string label;    // names the script and request in log lines
};

class CgiHandler final : public Handler {
  public:
    // `fallback` answers paths under `directory` that name no program (the static files of
    // the root), except those under one of `elsewhere` (the locations' prefixes), which it
    // always answers.
    CgiHandler(ScriptDirectory directory, std::shared_ptr<const CgiSettings> settings,
               std::shared_ptr<Handler> fallback = nullptr,
               std::vector<std::vector<std::string>> elsewhere = {});

    Dispatch dispatch(const Request& request) const override;
    Response handle(const Request& request) override;

    // The request as records for its spawned application, when it names a script that
    // one runs and its body is in memory; nullopt otherwise (an app worker runs it, and
    // answers a path that names nothing).
    std::optional<DirectRequest> direct_request(const Request& request);
    // The same limits as the app worker's exchange (cgi_timeout, cgi_idle_timeout, the
    // stderr cap).
    const RunLimits& limits() const { return settings_->limits; }

  private:
    bool may_name_program(const http::TargetPath& path) const;
    std::shared_ptr<GatewayOutput> start_program_for(const Request& request,
                                                     const FoundScript& script,
                                                     const std::string& label) const;
    std::shared_ptr<GatewayOutput> send_to_application(const Request& request,
                                                       const FoundScript& script,
                                                       const std::string& label) const;
    Response respond_from(std::shared_ptr<GatewayOutput> run, bool nph, std::string label) const;
    bool for_fallback(const http::TargetPath& path) const;

    ScriptDirectory directory_;
    RealDirectory real_directory_;  // this process's memory of where directory_ really is
    std::shared_ptr<const CgiSettings> settings_;
    std::shared_ptr<Handler> fallback_;
    std::vector<std::vector<std::string>> elsewhere_;
};

// The FastCGI applications a serving process starts itself (`fastcgi` entries ".ext=spawn:
// /path"), one per program. Their environment: PATH, `cgi_env`, and PHP_FCGI_MAX_REQUESTS
// above the worker's own quota (max_requests + jitter + 1; 0, never, without max_requests)
// unless `cgi_env` sets it, so that forkd recycles before php-cgi quits by itself.
std::vector<SpawnSpec> spawn_specs(const config::Config& config);

// The `cgi` prefixes, each a route (added before the static files).
void add_cgi_routes(Router& router, const config::Config& config);

// The static-file handler of the root, wrapped so that files with a `cgi_interpreters`
// extension run instead of being sent (their source never is); `static_files` itself when
// no interpreter is configured.
std::shared_ptr<Handler> with_interpreters(const config::Config& config,
                                           std::shared_ptr<Handler> static_files);

}  // namespace forkd::cgi
