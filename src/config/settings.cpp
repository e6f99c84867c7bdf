// The table itself. It is long because it is a list, one row per key, and reads as one;
// each row is the single place where a key's name, flag, default, range and help live.
#include "config/settings.hpp"

#include <algorithm>
#include <iterator>

#include "config/config_loader.hpp"
#include "config/value_syntax.hpp"

namespace forkd::config {
namespace {

// Designated initializers that skip members trip g++-12's -Wmissing-field-initializers,
// hence a plain builder.
Setting row(std::string name, Kind kind, unsigned modes, std::string help, std::int64_t min = 0) {
    Setting setting;
    setting.name = std::move(name);
    setting.kind = kind;
    setting.modes = modes;
    setting.help = std::move(help);
    setting.min = min;
    return setting;
}

// `field` is a generic lambda returning a reference to the member, usable on a const Config
// (for `show`) and a mutable one (for `store`).
template <class Field>
Setting duration_row(std::string name, Field field, std::int64_t min_ms, unsigned modes,
                     std::string help) {
    Setting setting = row(std::move(name), Kind::duration, modes, std::move(help), min_ms);
    setting.store = [field](Config& c, const Value& v) { field(c) = std::get<Duration>(v); };
    setting.show = [field](const Config& c) { return format_duration(field(c)); };
    return setting;
}

template <class Field>
Setting size_row(std::string name, Field field, unsigned modes, std::string help,
                 std::int64_t min = 1) {
    Setting setting = row(std::move(name), Kind::size, modes, std::move(help), min);
    setting.store = [field](Config& c, const Value& v) { field(c) = std::get<std::size_t>(v); };
    setting.show = [field](const Config& c) { return format_size(field(c)); };
    return setting;
}

template <class Field>
Setting integer_row(std::string name, Field field, std::int64_t min, unsigned modes,
                    std::string help) {
    Setting setting = row(std::move(name), Kind::integer, modes, std::move(help), min);
    // assign() has checked that the value fits an int before store() runs.
    setting.store = [field](Config& c, const Value& v) {
        field(c) = static_cast<int>(std::get<std::int64_t>(v));
    };
    setting.show = [field](const Config& c) { return std::to_string(field(c)); };
    return setting;
}

template <class Field>
Setting text_row(std::string name, Field field, std::string help) {
    Setting setting = row(std::move(name), Kind::text, kAllModes, std::move(help));
    setting.store = [field](Config& c, const Value& v) { field(c) = std::get<std::string>(v); };
    setting.show = [field](const Config& c) { return field(c); };
    return setting;
}

template <class Field>
Setting boolean_row(std::string name, Field field, std::string help) {
    Setting setting = row(std::move(name), Kind::boolean, kAllModes, std::move(help));
    setting.store = [field](Config& c, const Value& v) { field(c) = std::get<bool>(v); };
    setting.show = [field](const Config& c) { return std::string(field(c) ? "on" : "off"); };
    return setting;
}

template <class Field>
Setting text_list_row(std::string name, Field field, std::string help) {
    Setting setting = row(std::move(name), Kind::text_list, kAllModes, std::move(help));
    setting.store = [field](Config& c, const Value& v) {
        field(c) = std::get<std::vector<std::string>>(v);
    };
    setting.show = [field](const Config& c) {
        std::string shown;
        for (const auto& item : field(c))
            shown += (shown.empty() ? "" : ",") + item;
        return shown;
    };
    return setting;
}

Setting body_temp_path_row() {
    return text_row(
        "body_temp_path", [](auto& c) -> auto& { return c.body_temp_path; },
        "Directory for request bodies over body_buffer_size (empty: $TMPDIR, else /tmp)");
}

// `listen` is checked as a whole list: every entry parses and none repeats.
void store_listen(Config& config, const Value& value) {
    const auto& entries = std::get<std::vector<std::string>>(value);
    if (entries.empty()) throw ConfigError("expected at least one address");
    std::vector<ListenAddress> addresses;
    for (const auto& entry : entries) {
        auto address = parse_listen_address(entry);
        const auto same = [&](const ListenAddress& other) {
            return other.kind == address.kind && other.host == address.host &&
                   other.port == address.port && other.path == address.path;
        };
        if (std::ranges::any_of(addresses, same)) {
            throw ConfigError("\"" + entry + "\" is listed twice");
        }
        addresses.push_back(std::move(address));
    }
    config.listen = std::move(addresses);
}

Setting listen_row() {
    Setting setting =
        row("listen", Kind::text_list, kAllModes,
            "Address to listen on: host:port, [ipv6]:port or unix:/path, then optionally "
            "proxy_protocol (repeatable)");
    setting.store = store_listen;
    setting.show = [](const Config&) { return std::string(kDefaultListen); };
    return setting;
}

Setting mode_row() {
    Setting setting = row("mode", Kind::choice, kAllModes, "Process model");
    setting.choices = {"single", "fork", "prefork", "hybrid"};
    setting.store = [](Config& c, const Value& v) {
        const auto& text = std::get<std::string>(v);
        c.mode = text == "single"    ? Mode::single
                 : text == "fork"    ? Mode::fork
                 : text == "prefork" ? Mode::prefork
                                     : Mode::hybrid;
    };
    setting.show = [](const Config& c) { return std::string(to_string(c.mode)); };
    return setting;
}

Setting log_level_row() {
    Setting setting =
        row("log_level", Kind::choice, kAllModes, "Least severe error-log level written");
    setting.choices = {"debug", "info", "warn", "error"};
    setting.store = [](Config& c, const Value& v) {
        const auto& text = std::get<std::string>(v);
        c.log_level = text == "debug"  ? LogLevel::debug
                      : text == "info" ? LogLevel::info
                      : text == "warn" ? LogLevel::warn
                                       : LogLevel::error;
    };
    setting.show = [](const Config& c) { return std::string(to_string(c.log_level)); };
    return setting;
}

Setting access_log_format_row() {
    Setting setting = row("access_log_format", Kind::choice, kAllModes,
                          "Access log lines: combined (nginx's, Apache's) or json");
    setting.choices = {"combined", "json"};
    setting.store = [](Config& c, const Value& v) {
        c.access_log_format =
            std::get<std::string>(v) == "json" ? AccessLogFormat::json : AccessLogFormat::combined;
    };
    setting.show = [](const Config& c) {
        return std::string(c.access_log_format == AccessLogFormat::json ? "json" : "combined");
    };
    return setting;
}

// Prefork's pool settings also size hybrid mode's app-worker pool.
constexpr unsigned kPool = kPrefork | kHybrid;

Setting pm_row() {
    Setting setting = row("pm", Kind::choice, kPool, "Pool policy: static, dynamic or ondemand");
    setting.choices = {"static", "dynamic", "ondemand"};
    setting.store = [](Config& c, const Value& v) {
        const auto& text = std::get<std::string>(v);
        c.pm = text == "static" ? Pm::static_pool : text == "dynamic" ? Pm::dynamic : Pm::ondemand;
    };
    setting.show = [](const Config& c) { return std::string(to_string(c.pm)); };
    return setting;
}

Setting status_allow_row() {
    Setting setting = row("status_allow", Kind::text_list, kAllModes,
                          "Addresses or CIDRs allowed to read the status page besides loopback");
    setting.store = [](Config& c, const Value& v) {
        c.status_allow = std::get<std::vector<std::string>>(v);
    };
    setting.show = [](const Config&) { return std::string(); };
    return setting;
}

Setting trusted_proxies_row() {
    Setting setting =
        row("trusted_proxies", Kind::text_list, kAllModes,
            "Addresses or CIDRs of proxies whose X-Forwarded-For/Forwarded name the client");
    setting.store = [](Config& c, const Value& v) {
        c.trusted_proxies = std::get<std::vector<std::string>>(v);
    };
    setting.show = [](const Config&) { return std::string(); };
    return setting;
}

Setting test_routes_row() {
    Setting setting = row("test_routes", Kind::boolean, kAllModes,
                          "Tests only: enable /__forkd_test/ routes that crash, leak or hang");
    setting.store = [](Config& c, const Value& v) { c.test_routes = std::get<bool>(v); };
    setting.show = [](const Config& c) { return std::string(c.test_routes ? "on" : "off"); };
    return setting;
}

Setting server_tokens_row() {
    Setting setting =
        row("server_tokens", Kind::boolean, kAllModes, "Send the version in the Server header");
    setting.store = [](Config& c, const Value& v) { c.server_tokens = std::get<bool>(v); };
    setting.show = [](const Config& c) { return std::string(c.server_tokens ? "on" : "off"); };
    return setting;
}

Setting core_dumps_row() {
    Setting setting = row("core_dumps", Kind::boolean, kAllModes,
                          "Let a crashing serving process leave a core dump, also after it "
                          "dropped privileges (dumpable, RLIMIT_CORE raised to its maximum)");
    setting.store = [](Config& c, const Value& v) { c.core_dumps = std::get<bool>(v); };
    setting.show = [](const Config& c) { return std::string(c.core_dumps ? "on" : "off"); };
    return setting;
}

Setting symlinks_row() {
    Setting setting = row("symlinks", Kind::choice, kAllModes,
                          "Symlinks beneath root: on (follow), owner (only when the link and "
                          "its target have the same owner) or off");
    setting.choices = {"on", "owner", "off"};
    setting.store = [](Config& c, const Value& v) {
        const auto& text = std::get<std::string>(v);
        c.symlinks = text == "on"      ? Symlinks::on
                     : text == "owner" ? Symlinks::owner
                                       : Symlinks::off;
    };
    setting.show = [](const Config& c) {
        return std::string(c.symlinks == Symlinks::on      ? "on"
                           : c.symlinks == Symlinks::owner ? "owner"
                                                           : "off");
    };
    return setting;
}

Setting dotfiles_row() {
    Setting setting = row("dotfiles", Kind::choice, kAllModes,
                          "Names starting with '.' (.git, .env): deny (404) or allow");
    setting.choices = {"deny", "allow"};
    setting.store = [](Config& c, const Value& v) {
        c.dotfiles = std::get<std::string>(v) == "allow";
    };
    setting.show = [](const Config& c) { return std::string(c.dotfiles ? "allow" : "deny"); };
    return setting;
}

// Unset means "on when root is empty", so the row shows nothing as its default.
Setting demo_routes_row() {
    Setting setting = row("demo_routes", Kind::boolean, kAllModes,
                          "Serve the demo's / (default: on without root, off with it)");
    setting.store = [](Config& c, const Value& v) { c.demo_routes = std::get<bool>(v); };
    setting.show = [](const Config& c) {
        return c.demo_routes ? std::string(*c.demo_routes ? "on" : "off") : std::string();
    };
    return setting;
}

// Each entry is "/prefix/=/directory": both halves are checked here, the directory's
// existence when the server starts.
Setting locations_row() {
    Setting setting = text_list_row(
        "locations", [](auto& c) -> auto& { return c.locations; },
        "URL prefix served from another directory: /prefix/=/dir (repeatable)");
    setting.store = [](Config& c, const Value& v) {
        const auto& entries = std::get<std::vector<std::string>>(v);
        for (const auto& entry : entries) {
            const auto equals = entry.find('=');
            if (equals == std::string::npos || !entry.starts_with('/') ||
                equals + 1 == entry.size()) {
                throw ConfigError("expected \"/prefix/=/directory\", got \"" + entry + "\"");
            }
        }
        c.locations = entries;
    };
    return setting;
}

std::vector<Setting> static_file_settings() {
    return {
        text_row(
            "root", [](auto& c) -> auto& { return c.root; },
            "Document root: serve its files (empty: no static files)"),
        text_list_row(
            "index", [](auto& c) -> auto& { return c.index; },
            "Index files tried in order for a directory (repeatable)"),
        boolean_row(
            "autoindex", [](auto& c) -> auto& { return c.autoindex; },
            "List a directory that has no index file (off: 403)"),
        symlinks_row(),
        text_row(
            "default_type", [](auto& c) -> auto& { return c.default_type; },
            "Content-Type of files whose extension is unknown"),
        dotfiles_row(),
        boolean_row(
            "precompressed", [](auto& c) -> auto& { return c.precompressed; },
            "Serve foo.br / foo.gz beside foo to clients that accept them"),
        integer_row(
            "open_file_cache", [](auto& c) -> auto& { return c.open_file_cache; }, 0, kAllModes,
            "Open files each serving process keeps, checked by fstat on every request (0: off)"),
        duration_row(
            "open_file_cache_valid", [](auto& c) -> auto& { return c.open_file_cache_valid; }, 1,
            kAllModes, "How long a cached path is trusted before it is resolved again"),
        locations_row(),
        demo_routes_row(),
    };
}

// A list of "left=right" entries, each checked by `valid` (which names what it expects).
template <class Field>
Setting pairs_row(std::string name, Field field, std::string help, std::string expected,
                  bool (*valid)(std::string_view left, std::string_view right)) {
    Setting setting = text_list_row(std::move(name), field, std::move(help));
    setting.store = [field, expected, valid](Config& c, const Value& v) {
        const auto& entries = std::get<std::vector<std::string>>(v);
        for (const auto& entry : entries) {
            const auto equals = entry.find('=');
            if (equals == std::string::npos || !valid(std::string_view(entry).substr(0, equals),
                                                      std::string_view(entry).substr(equals + 1))) {
                throw ConfigError("expected \"" + expected + "\", got \"" + entry + "\"");
            }
        }
        field(c) = entries;
    };
    return setting;
}

bool is_environment_name(std::string_view name) {
    return !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
           std::ranges::all_of(name, [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_';
           });
}

std::vector<Setting> cgi_settings() {
    return {
        pairs_row(
            "cgi", [](auto& c) -> auto& { return c.cgi; },
            "URL prefix whose every file is a CGI program: /prefix/=/dir (repeatable)",
            "/prefix/=/directory",
            [](std::string_view prefix, std::string_view directory) {
                return prefix.starts_with('/') && prefix.ends_with('/') && !directory.empty();
            }),
        pairs_row(
            "cgi_interpreters", [](auto& c) -> auto& { return c.cgi_interpreters; },
            "Files with this extension under root run by this program: .ext=/path (repeatable)",
            ".ext=/path/to/interpreter",
            [](std::string_view extension, std::string_view interpreter) {
                return extension.size() > 1 && extension[0] == '.' &&
                       extension.find('/') == std::string_view::npos &&
                       interpreter.starts_with('/');
            }),
        pairs_row(
            "cgi_env", [](auto& c) -> auto& { return c.cgi_env; },
            "Variable added to every CGI program's environment: NAME=value (repeatable)",
            "NAME=value",
            [](std::string_view name, std::string_view) { return is_environment_name(name); }),
        pairs_row(
            "fastcgi", [](auto& c) -> auto& { return c.fastcgi; },
            "Files with this extension under root go to this FastCGI application: "
            ".ext=unix:/path, .ext=host:port, or .ext=spawn:/usr/bin/php-cgi (forkd starts "
            "one per worker) (repeatable)",
            ".ext=unix:/path/to/socket",
            [](std::string_view extension, std::string_view address) {
                return extension.size() > 1 && extension[0] == '.' &&
                       extension.find('/') == std::string_view::npos &&
                       (address.starts_with("unix:/") ||
                        address.find(':') != std::string_view::npos);
            }),
        boolean_row(
            "php", [](auto& c) -> auto& { return c.php; },
            "Run *.php under root with php-cgi processes forkd starts and keeps (fastcgi "
            ".php=spawn:<php-cgi on PATH>), and add index.php to index"),
        boolean_row(
            "fastcgi_keep_conn", [](auto& c) -> auto& { return c.fastcgi_keep_conn; },
            "Keep one connection to each FastCGI application per serving process"),
        duration_row(
            "cgi_timeout", [](auto& c) -> auto& { return c.cgi_timeout; }, 1, kAllModes,
            "Longest a CGI request may run; then its process group is ended (504)"),
        duration_row(
            "cgi_idle_timeout", [](auto& c) -> auto& { return c.cgi_idle_timeout; }, 1, kAllModes,
            "Longest a CGI program may go without output; then as cgi_timeout"),
        duration_row(
            "cgi_kill_grace", [](auto& c) -> auto& { return c.cgi_kill_grace; }, 0, kAllModes,
            "Between the TERM and the KILL that end a CGI program's group"),
        size_row(
            "cgi_stderr_limit", [](auto& c) -> auto& { return c.cgi_stderr_limit; }, kAllModes,
            "A CGI request's stderr logged at most; the rest is read and counted", 0),
        boolean_row(
            "cgi_pass_authorization", [](auto& c) -> auto& { return c.cgi_pass_authorization; },
            "Pass the Authorization header to CGI programs (HTTP_AUTHORIZATION)"),
        duration_row(
            "cgi_limit_cpu", [](auto& c) -> auto& { return c.cgi_limit_cpu; }, 0, kAllModes,
            "CPU time a CGI program may use, RLIMIT_CPU, whole seconds (0: unlimited)"),
        size_row(
            "cgi_limit_memory", [](auto& c) -> auto& { return c.cgi_limit_memory; }, kAllModes,
            "Address space of a CGI program, RLIMIT_AS (0: unlimited)", 0),
        integer_row(
            "cgi_limit_processes", [](auto& c) -> auto& { return c.cgi_limit_processes; }, 0,
            kAllModes, "Processes of the CGI programs' user, RLIMIT_NPROC (0: unlimited)"),
        integer_row(
            "cgi_limit_files", [](auto& c) -> auto& { return c.cgi_limit_files; }, 0, kAllModes,
            "Open files of a CGI program, RLIMIT_NOFILE (0: as the server's)"),
    };
}

std::vector<Setting> make_settings() {
    constexpr std::int64_t kPositive = 1;  // durations: more than 0ms; counts: at least 1
    constexpr unsigned kChildren = kFork | kPrefork | kHybrid;
    return {
        mode_row(),
        listen_row(),
        integer_row(
            "backlog", [](auto& c) -> auto& { return c.backlog; }, kPositive, kAllModes,
            "Listen queue length passed to listen(2)"),
        boolean_row(
            "reuse_port", [](auto& c) -> auto& { return c.reuse_port; },
            "SO_REUSEPORT on TCP listeners: servers that all set it share a port (restart to "
            "change)"),
        integer_row(
            "max_children", [](auto& c) -> auto& { return c.max_children; }, kPositive, kFork,
            "Connection children at most; at the cap new connections wait"),
        integer_row(
            "workers", [](auto& c) -> auto& { return c.workers; }, kPositive, kPool,
            "Worker processes in the pool"),
        pm_row(),
        integer_row(
            "max_workers", [](auto& c) -> auto& { return c.max_workers; }, kPositive, kPool,
            "Workers at most in a dynamic or ondemand pool"),
        integer_row(
            "min_spare", [](auto& c) -> auto& { return c.min_spare; }, 0, kPool,
            "Dynamic pool: spawn while fewer workers than this are idle"),
        integer_row(
            "max_spare", [](auto& c) -> auto& { return c.max_spare; }, kPositive, kPool,
            "Dynamic pool: retire workers while more than this are idle"),
        duration_row(
            "idle_timeout", [](auto& c) -> auto& { return c.idle_timeout; }, kPositive, kPool,
            "Ondemand pool: an idle worker exits after this long"),
        integer_row(
            // Not fork mode: its children serve one connection and leave (keepalive_requests
            // bounds that connection), so there is no long-lived worker to recycle.
            "max_requests", [](auto& c) -> auto& { return c.max_requests; }, 0, kPool,
            "Recycle a worker after this many requests (0: never)"),
        integer_row(
            "max_requests_jitter", [](auto& c) -> auto& { return c.max_requests_jitter; }, 0, kPool,
            "Add a random 0..N to max_requests per worker"),
        size_row(
            "max_rss", [](auto& c) -> auto& { return c.max_rss; }, kChildren,
            "Recycle a worker whose memory (PSS) exceeds this (0: off)", 0),
        size_row(
            "pool_memory_limit", [](auto& c) -> auto& { return c.pool_memory_limit; }, kPool,
            "The pool does not grow past this total PSS (0: the cgroup's memory.max)", 0),
        duration_row(
            "request_timeout", [](auto& c) -> auto& { return c.request_timeout; }, 0, kAllModes,
            "End a request that runs longer; its client gets 504 (0: off)"),
        duration_row(
            "slow_request_log", [](auto& c) -> auto& { return c.slow_request_log; }, 0, kAllModes,
            "Log requests slower than this (0: off)"),
        text_row(
            "status_path", [](auto& c) -> auto& { return c.status_path; },
            "Path of the status page, e.g. /status (empty: off)"),
        text_row(
            "metrics_path", [](auto& c) -> auto& { return c.metrics_path; },
            "Path of the Prometheus metrics, e.g. /metrics (empty: off)"),
        status_allow_row(),
        trusted_proxies_row(),
        test_routes_row(),
        integer_row(
            "io_workers", [](auto& c) -> auto& { return c.io_workers; }, 0, kHybrid,
            "Event-loop processes that accept and parse (0: one per CPU)"),
        integer_row(
            "worker_connections", [](auto& c) -> auto& { return c.worker_connections; }, kPositive,
            kHybrid, "Connections per io worker; beyond it new ones wait"),
        integer_row(
            "queue_size", [](auto& c) -> auto& { return c.queue_size; }, kPositive, kHybrid,
            "Requests an io worker holds for an app worker; beyond it 503"),
        duration_row(
            "queue_timeout", [](auto& c) -> auto& { return c.queue_timeout; }, kPositive, kHybrid,
            "How long a request may wait for an app worker (then 503)"),
        size_row(
            "body_buffer_size", [](auto& c) -> auto& { return c.body_buffer_size; }, kAllModes,
            "Request bodies larger than this wait in a temp file, not in memory"),
        body_temp_path_row(),
        text_row(
            "health_path", [](auto& c) -> auto& { return c.health_path; },
            "Inline health check path: 200, or 503 once a stop or reload begins (empty: off)"),
        duration_row(
            "client_header_timeout", [](auto& c) -> auto& { return c.client_header_timeout; },
            kPositive, kAllModes, "Time allowed to send the request line and headers"),
        duration_row(
            "client_body_timeout", [](auto& c) -> auto& { return c.client_body_timeout; },
            kPositive, kAllModes, "Time allowed between two reads of the request body"),
        duration_row(
            "keepalive_timeout", [](auto& c) -> auto& { return c.keepalive_timeout; }, kPositive,
            kAllModes, "How long an idle keep-alive connection stays open"),
        integer_row(
            "keepalive_requests", [](auto& c) -> auto& { return c.keepalive_requests; }, kPositive,
            kAllModes, "Requests served on one connection before it is closed"),
        duration_row(
            "send_timeout", [](auto& c) -> auto& { return c.send_timeout; }, kPositive, kAllModes,
            "Time allowed between two writes of the response"),
        duration_row(
            "lingering_timeout", [](auto& c) -> auto& { return c.lingering_timeout; }, 0, kAllModes,
            "How long to drain a client's input before closing (0: off)"),
        duration_row(
            "graceful_timeout", [](auto& c) -> auto& { return c.graceful_timeout; }, kPositive,
            kChildren, "How long a graceful stop waits for children before killing them"),
        duration_row(
            "shutdown_delay", [](auto& c) -> auto& { return c.shutdown_delay; }, 0, kChildren,
            "After TERM/QUIT, serve on this long with health_path answering 503 (0: off)"),
        size_row(
            "max_request_line", [](auto& c) -> auto& { return c.max_request_line; }, kAllModes,
            "Longest request line (414 beyond)"),
        size_row(
            "max_header_size", [](auto& c) -> auto& { return c.max_header_size; }, kAllModes,
            "Largest request header block (431 beyond)"),
        size_row(
            "max_body_size", [](auto& c) -> auto& { return c.max_body_size; }, kAllModes,
            "Largest request body (413 beyond)"),
        text_row(
            "error_log", [](auto& c) -> auto& { return c.error_log; },
            "Error log file, \"stderr\" (also when empty) or \"journald\""),
        text_row(
            "journal_socket", [](auto& c) -> auto& { return c.journal_socket; },
            "The journal's socket, for error_log = \"journald\""),
        log_level_row(),
        text_row(
            "access_log", [](auto& c) -> auto& { return c.access_log; },
            "Access log file (empty or \"off\": none)"),
        access_log_format_row(),
        server_tokens_row(),
        text_row(
            "pid_file", [](auto& c) -> auto& { return c.pid_file; },
            "File the master writes its pid to (empty: none)"),
        text_row(
            "user", [](auto& c) -> auto& { return c.user; },
            "User the children run as when the master runs as root (empty: no drop)"),
        text_row(
            "group", [](auto& c) -> auto& { return c.group; },
            "Group the children run as with `user` (empty: the user's primary group)"),
        core_dumps_row(),
        duration_row(
            "demo.sleep_seconds", [](auto& c) -> auto& { return c.demo.sleep_seconds; }, 0,
            kAllModes, "How long /?sleep is busy (bare number: seconds)"),
        integer_row(
            "demo.max_sleep_seconds", [](auto& c) -> auto& { return c.demo.max_sleep_seconds; }, 0,
            kAllModes, "Largest N accepted in /?sleep=N"),
    };
}

}  // namespace

std::string_view Setting::table() const {
    const auto dot = name.find('.');
    return dot == std::string::npos ? std::string_view{} : std::string_view(name).substr(0, dot);
}

std::string_view Setting::key() const {
    const auto dot = name.find('.');
    return dot == std::string::npos ? std::string_view(name)
                                    : std::string_view(name).substr(dot + 1);
}

std::string Setting::flag() const {
    std::string flag = "--" + name;
    std::ranges::replace(flag, '.', '-');
    std::ranges::replace(flag, '_', '-');
    return flag;
}

std::span<const Setting> settings() {
    static const std::vector<Setting> table = [] {
        std::vector<Setting> all = make_settings();
        // Static-file rows sit before [demo]'s, with the other top-level keys.
        auto demo = std::ranges::find_if(all, [](const Setting& s) { return !s.table().empty(); });
        std::ranges::move(static_file_settings(), std::inserter(all, demo));
        demo = std::ranges::find_if(all, [](const Setting& s) { return !s.table().empty(); });
        std::ranges::move(cgi_settings(), std::inserter(all, demo));
        return all;
    }();
    return table;
}

const Setting* find_setting(std::string_view name) {
    const auto all = settings();
    const auto it = std::ranges::find(all, name, &Setting::name);
    return it == all.end() ? nullptr : &*it;
}

bool is_settings_table(std::string_view name) {
    return !name.empty() && std::ranges::any_of(settings(), [&](const Setting& setting) {
        return setting.table() == name;
    });
}

bool applies_to(std::string_view name, Mode mode) {
    const Setting* setting = find_setting(name);
    if (setting == nullptr) return false;
    const unsigned bit = mode == Mode::single    ? kSingle
                         : mode == Mode::fork    ? kFork
                         : mode == Mode::prefork ? kPrefork
                                                 : kHybrid;
    return (setting->modes & bit) != 0;
}

}  // namespace forkd::config
