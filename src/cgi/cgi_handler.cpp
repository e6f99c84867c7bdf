#include "cgi/cgi_handler.hpp"

#include <sys/resource.h>

#include <system_error>

#include "api/route_kind.hpp"
#include "base/log.hpp"
#include "cgi/fastcgi_exchange.hpp"
#include "cgi/program_head.hpp"
#include "forkd/app.hpp"
#include "os/request_guard.hpp"
#include "os/temp_file.hpp"

namespace forkd::cgi {
namespace {

constexpr std::size_t kLabelTarget = 200;  // of the target in log lines

std::vector<std::string> split_pair(const std::string& entry) {
    std::size_t equals = entry.find('=');
    return {entry.substr(0, equals), entry.substr(equals + 1)};
}

// "/cgi-bin/" into its decoded segments.
std::vector<std::string> prefix_segments(const std::string& prefix) {
    std::optional<http::TargetPath> path = http::normalize_target_path(prefix);
    return path ? path->segments : std::vector<std::string>{};
}

bool starts_with(const std::vector<std::string>& segments, const std::vector<std::string>& prefix) {
    return segments.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), segments.begin());
}

std::string label_for(const FoundScript& script, const Request& request) {
    std::string_view target = request.target;
    std::string label = script.paths.script_name + " (" + request.method + " " +
                        std::string(target.substr(0, kLabelTarget));
    if (target.size() > kLabelTarget) label += "...";
    return label + ")";
}

// The program's stdin: the body's own file when it was spooled, a memory file otherwise.
struct Input {
    Fd owned;
    int fd = -1;
};
Input input_for(const RequestBody& body) {
    Input input;
    if (body.in_file()) {
        input.fd = body.file_descriptor();
        if (!os::rewind_file(input.fd))
            throw std::system_error(errno, std::generic_category(), "rewind the body");
    } else if (!body.empty()) {
        input.owned = os::memory_file_with(body.in_memory());
        input.fd = input.owned.get();
    }
    return input;
}

std::string directory_of(const std::string& file) {
    return file.substr(0, file.rfind('/'));
}

Response bad_gateway(const std::string& label, std::string_view why) {
    log::error("cgi {}: {}; answered 502", label, why);
    return Response::error(502, "The program behind this address did not answer properly.");
}

// What the client receives after the head: what came with it, then the rest as it comes.
StreamBody stream_rest(std::shared_ptr<GatewayOutput> run, std::string first, std::string label) {
    return StreamBody{[run, first = std::move(first), label](BodyWriter& writer) {
        bool whole = first.empty() || writer.write(first);
        std::string piece;
        while (whole) {
            piece.clear();
            GatewayOutput::Read read = run->read_output(piece);
            if (read == GatewayOutput::Read::end) break;
            if (read == GatewayOutput::Read::data) {
                whole = writer.write(piece);
                continue;
            }
            if (read == GatewayOutput::Read::timeout) {
                log::error(
                    "cgi {}: stopped sending within cgi_timeout or cgi_idle_timeout; "
                    "the response is cut off",
                    label);
            }
            writer.fail();
            whole = false;
        }
        // A whole response is ended when the server lets go of it, after the body's end is
        // sent (~ProgramRun): the client never waits for the grace that a program still
        // running once its output ended gets to exit by itself.
        if (!whole) run->end(true);
    }};
}

}  // namespace

CgiSettings settings_from(const config::Config& config) {
    CgiSettings settings;
    settings.limits = {config.cgi_timeout, config.cgi_idle_timeout, config.cgi_kill_grace,
                       config.cgi_stderr_limit};
    settings.environment.extra = config.cgi_env;
    settings.environment.pass_authorization = config.cgi_pass_authorization;
    settings.environment.server_software =
        config.server_tokens ? std::string("forkd/") + forkd::version() : "forkd";
    for (const std::string& entry : config.cgi_interpreters) {
        auto pair = split_pair(entry);
        settings.lookup.interpreters.push_back({pair[0], pair[1], ""});
    }
    for (const std::string& entry : config.fastcgi) {
        auto pair = split_pair(entry);
        settings.lookup.interpreters.push_back({pair[0], "", pair[1]});
    }
    settings.fastcgi_keep_conn = config.fastcgi_keep_conn;
    settings.lookup.index = config.index;
    settings.lookup.dotfiles = config.dotfiles;
    auto seconds = std::chrono::ceil<std::chrono::seconds>(config.cgi_limit_cpu).count();
    if (seconds > 0) settings.resource_limits.push_back({RLIMIT_CPU, static_cast<rlim_t>(seconds)});
    if (config.cgi_limit_memory > 0)
        settings.resource_limits.push_back({RLIMIT_AS, config.cgi_limit_memory});
    if (config.cgi_limit_processes > 0) {
        settings.resource_limits.push_back(
            {RLIMIT_NPROC, static_cast<rlim_t>(config.cgi_limit_processes)});
    }
    if (config.cgi_limit_files > 0) {
        settings.resource_limits.push_back(
            {RLIMIT_NOFILE, static_cast<rlim_t>(config.cgi_limit_files)});
    }
    return settings;
}

CgiHandler::CgiHandler(ScriptDirectory directory, std::shared_ptr<const CgiSettings> settings,
                       std::shared_ptr<Handler> fallback,
                       std::vector<std::vector<std::string>> elsewhere)
    : directory_(std::move(directory)),
      real_directory_(directory_.path),
      settings_(std::move(settings)),
      fallback_(std::move(fallback)),
      elsewhere_(std::move(elsewhere)) {}

bool CgiHandler::for_fallback(const http::TargetPath& path) const {
    if (directory_.every_file) return false;
    return std::ranges::any_of(elsewhere_, [&](const auto& prefix) {
        return !prefix.empty() && starts_with(path.segments, prefix);
    });
}

// Cheap, with no I/O: whether a segment (or, for a directory, an index name) has an
// interpreter's extension. Only such paths can be programs under the root.
bool CgiHandler::may_name_program(const http::TargetPath& path) const {
    if (directory_.every_file) return true;
    if (for_fallback(path)) return false;
    const auto& interpreters = settings_->lookup.interpreters;
    for (const std::string& segment : path.segments) {
        if (interpreter_for(interpreters, segment) != nullptr) return true;
    }
    if (!path.trailing_slash) return false;
    return std::ranges::any_of(settings_->lookup.index, [&](const std::string& index) {
        return interpreter_for(interpreters, index) != nullptr;
    });
}

Dispatch CgiHandler::dispatch(const Request& request) const {
    std::optional<http::TargetPath> path = http::normalize_target_path(request.path);
    if (path && !may_name_program(*path) && fallback_ != nullptr)
        return fallback_->dispatch(request);
    return Dispatch::blocking;
}

Response CgiHandler::handle(const Request& request) {
    // A file the fallback sends notes `static` over this.
    api::note_route_kind(api::RouteKind::cgi);
    std::optional<http::TargetPath> path = http::normalize_target_path(request.path);
    if (!path) return Response::error(400, "The path is not valid.");
    Lookup lookup;
    if (may_name_program(*path))
        lookup = find_script(directory_, real_directory_.now(), *path, settings_->lookup);
    else
        lookup.result = Lookup::Result::not_a_script;
    switch (lookup.result) {
        case Lookup::Result::found:
            break;
        case Lookup::Result::not_a_script:
            if (fallback_ != nullptr) return fallback_->handle(request);
            return Response::error(404, "Nothing is served at this path.");
        case Lookup::Result::not_found:
            return Response::error(404, "No program is at this path.");
        case Lookup::Result::forbidden:
            return Response::error(403, "This file may not be run.");
    }
    const FoundScript& script = lookup.script;
    std::string label = label_for(script, request);
    if (!script.upstream.empty()) api::note_route_kind(api::RouteKind::fastcgi);

    std::shared_ptr<GatewayOutput> run = script.upstream.empty()
                                             ? start_program_for(request, script, label)
                                             : send_to_application(request, script, label);
    if (run == nullptr) {
        return script.upstream.empty()
                   ? Response::error(500, "The program could not be started.")
                   : Response::error(502, "The application behind this address is unavailable.");
    }
    return respond_from(std::move(run), script.nph, std::move(label));
}

std::optional<DirectRequest> CgiHandler::direct_request(const Request& request) {
    if (request.body.in_file()) return std::nullopt;
    std::optional<http::TargetPath> path = http::normalize_target_path(request.path);
    if (!path || !may_name_program(*path)) return std::nullopt;
    Lookup lookup = find_script(directory_, real_directory_.now(), *path, settings_->lookup);
    if (lookup.result != Lookup::Result::found) return std::nullopt;
    std::string program = spawned_program(lookup.script.upstream);
    if (program.empty()) return std::nullopt;
    api::note_route_kind(api::RouteKind::fastcgi);
    DirectRequest direct;
    direct.program = std::move(program);
    direct.label = label_for(lookup.script, request);
    direct.records = fastcgi_request_records(
        program_environment(request, lookup.script.paths, settings_->environment),
        request.body.in_memory(), false);
    return direct;
}

std::shared_ptr<GatewayOutput> CgiHandler::start_program_for(const Request& request,
                                                             const FoundScript& script,
                                                             const std::string& label) const {
    os::ProgramSpec spec;
    if (script.interpreter.empty()) {
        spec.path = script.paths.script_filename;
        spec.arguments = {script.paths.script_filename};
    } else {
        // The script's path is the only argument: never words of the query (RFC 3875 §4.4
        // allows them; they made php-cgi's CVE-2012-1823).
        spec.path = script.interpreter;
        spec.arguments = {script.interpreter, script.paths.script_filename};
    }
    spec.environment =
        environment_entries(program_environment(request, script.paths, settings_->environment));
    spec.directory = directory_of(script.paths.script_filename);  // RFC 3875 §7.2
    spec.limits = settings_->resource_limits;
    try {
        Input input = input_for(request.body);
        spec.stdin_fd = input.fd;
        return std::make_shared<ProgramRun>(os::start_program(spec), settings_->limits, label,
                                            os::guarded_client_fd());
    } catch (const std::system_error& e) {
        log::error("cgi {}: cannot run {}: {}; answered 500", label, spec.path, e.what());
        return nullptr;
    }
}

std::shared_ptr<GatewayOutput> CgiHandler::send_to_application(const Request& request,
                                                               const FoundScript& script,
                                                               const std::string& label) const {
    SpawnedApplication* spawned = nullptr;
    if (std::string program = spawned_program(script.upstream); !program.empty()) {
        spawned = spawned_application(program);
        if (spawned == nullptr) {
            log::error(
                "cgi {}: this process runs no {} (spawn needs prefork or hybrid mode); "
                "answered 502",
                label, program);
            return nullptr;
        }
    }
    auto exchange = std::make_shared<FastcgiExchange>(script.upstream, settings_->fastcgi_keep_conn,
                                                      settings_->limits, label, spawned);
    if (!exchange->send(program_environment(request, script.paths, settings_->environment),
                        request.body))
        return nullptr;
    return exchange;
}

Response CgiHandler::respond_from(std::shared_ptr<GatewayOutput> run, bool nph,
                                  std::string label) const {
    std::string output;
    std::size_t head_end = std::string::npos;
    while (head_end == std::string::npos) {
        GatewayOutput::Read read = run->read_output(output);
        if (read == GatewayOutput::Read::timeout) {
            run->end(true);
            log::error("cgi {}: no response within cgi_timeout or cgi_idle_timeout; answered 504",
                       label);
            return Response::error(504, "The program did not answer in time.");
        }
        if (read == GatewayOutput::Read::client_gone) {
            run->end(true);
            Response gone = Response::error(499, "");
            gone.close = true;
            return gone;
        }
        if (read == GatewayOutput::Read::broken) {
            run->end(true);
            return Response::error(502, "The program behind this address did not answer properly.");
        }
        head_end = end_of_head(output);
        if (head_end != std::string::npos) break;
        if (read == GatewayOutput::Read::end) {
            run->end(false);
            return bad_gateway(label, output.empty() ? "it wrote nothing"
                                                     : "its output ended inside the header block");
        }
        if (output.size() > kMaxHeaderBlock) {
            run->end(true);
            return bad_gateway(label, "its header block is longer than 64 KiB");
        }
    }
    auto head = parse_program_head(std::string_view(output).substr(0, head_end), nph);
    if (auto* problem = std::get_if<std::string>(&head)) {
        run->end(true);
        return bad_gateway(label, *problem);
    }
    ProgramHead& parsed = std::get<ProgramHead>(head);
    if (!parsed.local_redirect.empty()) {
        run->end(false);
        return Response::local_redirect(std::move(parsed.local_redirect));
    }
    Response response;
    response.status = parsed.status;
    response.headers = std::move(parsed.headers);
    if (run->complete()) {
        // The whole answer came with its head (a small page): sent as bytes with a length,
        // head and body in one write, instead of as a chunked stream.
        response.body = output.substr(head_end);
        run->end(false);
        return response;
    }
    response.body = stream_rest(std::move(run), output.substr(head_end), std::move(label));
    return response;
}

std::vector<SpawnSpec> spawn_specs(const config::Config& config) {
    std::vector<SpawnSpec> specs;
    std::optional<CgiSettings> settings;
    for (const std::string& entry : config.fastcgi) {
        std::string program = spawned_program(split_pair(entry)[1]);
        if (program.empty()) continue;
        if (!settings) settings = settings_from(config);
        if (std::ranges::any_of(specs, [&](const SpawnSpec& s) { return s.program == program; }))
            continue;
        SpawnSpec spec;
        spec.program = program;
        spec.environment.push_back("PATH=" + std::string(kDefaultPath));
        constexpr std::string_view kCount = "PHP_FCGI_MAX_REQUESTS=";
        std::optional<std::string> count;
        for (const std::string& variable : config.cgi_env) {
            if (variable.starts_with(kCount))
                count = variable.substr(kCount.size());
            else
                spec.environment.push_back(variable);
        }
        if (!count) {
            int quota = config.max_requests > 0
                            ? config.max_requests + std::max(config.max_requests_jitter, 0) + 1
                            : 0;
            count = std::to_string(quota);
        }
        spec.environment.push_back(std::string(kCount) + *count);
        spec.quits_after = std::strtoull(count->c_str(), nullptr, 10);
        // A CPU limit would add up over every request the process answers: not for these.
        for (const os::ResourceLimit& limit : settings->resource_limits) {
            if (limit.resource != RLIMIT_CPU) spec.limits.push_back(limit);
        }
        spec.kill_grace = settings->limits.kill_grace;
        spec.stderr_limit = settings->limits.stderr_limit;
        specs.push_back(std::move(spec));
    }
    return specs;
}

void add_cgi_routes(Router& router, const config::Config& config) {
    if (config.cgi.empty()) return;
    auto settings = std::make_shared<const CgiSettings>(settings_from(config));
    for (const std::string& entry : config.cgi) {
        auto pair = split_pair(entry);
        ScriptDirectory directory{prefix_segments(pair[0]), pair[1], true, config.root};
        router.add(pair[0], Route::Match::prefix,
                   std::make_shared<CgiHandler>(std::move(directory), settings));
    }
}

std::shared_ptr<Handler> with_interpreters(const config::Config& config,
                                           std::shared_ptr<Handler> static_files) {
    if ((config.cgi_interpreters.empty() && config.fastcgi.empty()) || config.root.empty())
        return static_files;
    auto settings = std::make_shared<const CgiSettings>(settings_from(config));
    std::vector<std::vector<std::string>> elsewhere;
    for (const std::string& entry : config.locations)
        elsewhere.push_back(prefix_segments(split_pair(entry)[0]));
    return std::make_shared<CgiHandler>(ScriptDirectory{{}, config.root, false, config.root},
                                        std::move(settings), std::move(static_files),
                                        std::move(elsewhere));
}

}  // namespace forkd::cgi
