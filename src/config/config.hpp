// The configuration every role reads: plain structs, no parsing, no toml++.
//
// Filled by load_config() (config_loader.hpp) from defaults, an optional TOML file and the
// command-line flags, in that order of precedence (flags win). Server-wide settings are
// top-level keys; a TOML table only for a named component ([demo]). The flag of a top-level
// key `a_b` is `--a-b`; of a key `a_b` in table `t`, `--t-a-b`.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace forkd::config {

using Duration = std::chrono::milliseconds;

enum class Mode { single, fork, prefork, hybrid };
enum class LogLevel { debug, info, warn, error };
// The access log's line: nginx's and Apache's combined format, or one JSON object.
enum class AccessLogFormat { combined, json };
// Prefork pool policy, as PHP-FPM's pm: a fixed pool, a pool kept between spare bounds, or
// workers forked only when connections wait.
enum class Pm { static_pool, dynamic, ondemand };
// Which symlinks beneath the document root are followed, as nginx's disable_symlinks: all of
// them, only those owned by the owner of their target, or none. No symlink ever leads
// outside the root, whatever the policy.
enum class Symlinks { on, owner, off };

// One `listen` entry: "127.0.0.1:9933", "[::1]:8080", "*:80", "unix:/run/forkd.sock", each
// optionally followed by " proxy_protocol".
struct ListenAddress {
    enum class Kind { tcp, unix_socket };
    Kind kind = Kind::tcp;
    std::string host;  // numeric address for tcp, without brackets; "0.0.0.0" for "*"
    uint16_t port = 0;
    std::string path;  // for unix sockets
    std::string text;  // the address as the user wrote it (without options), for messages
    // Every connection begins with a PROXY protocol header (v1 or v2) naming the client: the
    // proxy in front (haproxy's send-proxy, nginx's proxy_protocol) is the only peer.
    bool proxy_protocol = false;

    friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// [demo]: the tutorial's application, served when no other application is configured.
struct DemoConfig {
    Duration sleep_seconds = std::chrono::seconds(10);  // `?sleep` without a number
    int max_sleep_seconds = 60;                         // largest accepted `?sleep=N`
};

struct Config {
    Mode mode = Mode::hybrid;
    std::vector<ListenAddress> listen;  // default: 127.0.0.1:9933
    int backlog = 511;
    // SO_REUSEPORT on the TCP listeners forkd binds: other servers (another forkd, or the next
    // one) that set it too may listen on the same address, the kernel spreading new
    // connections across them. Fixed for a socket's life: reloads and upgrades keep it as is.
    bool reuse_port = false;

    // Process models.
    int max_children = 256;  // fork: connection children at most
    int workers = 8;         // prefork: pool size (static), workers at start (dynamic)

    // Hybrid mode: the event-driven front.
    int io_workers = 0;              // 0: one per CPU
    int worker_connections = 10000;  // connections per io worker
    int queue_size = 1024;           // requests waiting for an app worker, per io worker
    Duration queue_timeout = std::chrono::seconds(10);  // then 503 with Retry-After
    std::size_t body_buffer_size = 64 * 1024;           // larger request bodies go to a temp file
    std::string body_temp_path;  // directory of those temp files (empty: $TMPDIR, else /tmp)
    std::string health_path;     // inline health check, e.g. "/healthz" (empty: off)

    // Process manager (prefork, and hybrid's app workers).
    Pm pm = Pm::static_pool;
    int max_workers = 32;  // dynamic, ondemand: workers at most (PHP-FPM's pm.max_children)
    int min_spare = 2;     // dynamic: fewer idle workers than this -> spawn
    int max_spare = 8;     // dynamic: more idle workers than this -> retire
    Duration idle_timeout = std::chrono::seconds(10);  // ondemand: idle workers exit after it
    int max_requests = 0;               // recycle a worker after this many (0: never)
    int max_requests_jitter = 0;        // + random 0..jitter, so workers don't all recycle at once
    std::size_t max_rss = 0;            // recycle a worker whose PSS exceeds it (0: off)
    std::size_t pool_memory_limit = 0;  // total PSS of the pool (0: cgroup memory.max if any)
    Duration request_timeout{0};        // end a request running longer (0: off)
    Duration slow_request_log{0};       // log requests slower than this (0: off)
    std::string status_path;            // status page path, e.g. "/status" (empty: off)
    std::string metrics_path;           // Prometheus metrics path, e.g. "/metrics" (empty: off)
    std::vector<std::string> status_allow;  // addresses/CIDRs allowed besides loopback
    // Peers (addresses/CIDRs) whose X-Forwarded-For, Forwarded and X-Forwarded-Proto name the
    // client (session/client_address.hpp); every other peer's are ignored.
    std::vector<std::string> trusted_proxies;
    bool test_routes = false;  // tests only: /__forkd_test/crash, /leak, /hang

    // HTTP limits and timeouts.
    Duration client_header_timeout = std::chrono::seconds(10);
    Duration client_body_timeout = std::chrono::seconds(10);
    Duration keepalive_timeout = std::chrono::seconds(5);
    int keepalive_requests = 1000;
    Duration send_timeout = std::chrono::seconds(60);
    Duration lingering_timeout = std::chrono::seconds(5);
    Duration graceful_timeout = std::chrono::seconds(30);
    Duration shutdown_delay{0};  // serve on this long after TERM/QUIT, health checks saying 503
    std::size_t max_request_line = 8 * 1024;
    std::size_t max_header_size = 32 * 1024;
    std::size_t max_body_size = 1024 * 1024;

    // Logs and identity.
    std::string error_log;  // empty: stderr; "journald": the journal (logs_to_journal)
    std::string journal_socket = "/run/systemd/journal/socket";
    LogLevel log_level = LogLevel::info;
    std::string access_log;  // empty: off
    AccessLogFormat access_log_format = AccessLogFormat::combined;
    bool server_tokens = true;
    bool core_dumps = false;  // serving processes stay dumpable after a privilege drop
    std::string pid_file;     // empty: none
    std::string user;         // children drop to this user when the master runs as root
    std::string group;        // and to this group (empty: the user's primary group)

    // Static files (handlers/static_files.hpp).
    std::string root;                                 // document root; empty: no static files
    std::vector<std::string> index = {"index.html"};  // tried in order for a directory
    bool autoindex = false;                           // list a directory without an index
    Symlinks symlinks = Symlinks::on;
    std::string default_type = "application/octet-stream";  // for unknown extensions
    bool dotfiles = false;      // serve names starting with '.' (off: 404)
    bool precompressed = true;  // serve foo.css.br / foo.css.gz to clients that accept them
    std::vector<std::string> locations;  // "URL-prefix=directory", e.g. "/assets/=/srv/a"
    // Open-file cache (handlers/open_file_cache.hpp), per serving process: descriptors at most
    // (0: off), and how long a resolved path is trusted before it is resolved again.
    int open_file_cache = 1000;
    Duration open_file_cache_valid = std::chrono::seconds(5);
    // The demo's routes; unset: served only when `root` is empty.
    std::optional<bool> demo_routes;

    // CGI programs (cgi/cgi_handler.hpp).
    std::vector<std::string> cgi;               // "URL-prefix=directory": every file there runs
    std::vector<std::string> cgi_interpreters;  // ".ext=/interpreter" for such files under root
    std::vector<std::string> cgi_env;           // "NAME=value" added to every program's environment
    std::vector<std::string> fastcgi;           // ".ext=unix:/path" or ".ext=host:port"
    bool fastcgi_keep_conn = false;             // keep one connection per process (FCGI_KEEP_CONN)
    bool php = false;  // .php=spawn:<php-cgi on PATH> in fastcgi, index.php in index
    Duration cgi_timeout = std::chrono::seconds(60);       // whole request
    Duration cgi_idle_timeout = std::chrono::seconds(30);  // without output
    Duration cgi_kill_grace = std::chrono::seconds(5);     // between TERM and KILL
    std::size_t cgi_stderr_limit = 64 * 1024;              // logged per request; the rest dropped
    bool cgi_pass_authorization = false;                   // HTTP_AUTHORIZATION for programs
    Duration cgi_limit_cpu{0};                             // RLIMIT_CPU (0: unlimited)
    std::size_t cgi_limit_memory = 0;                      // RLIMIT_AS (0: unlimited)
    int cgi_limit_processes = 0;                           // RLIMIT_NPROC (0: unlimited)
    int cgi_limit_files = 0;                               // RLIMIT_NOFILE (0: as the server's)

    DemoConfig demo;

    // Set by the loader: which keys the user gave (file or flag), so that settings that do
    // not apply to the chosen mode can be warned about by name.
    std::vector<std::string> keys_set;
    // Set by the loader: where each key given was set, "forkd.toml:12" or its flag ("--user"),
    // so that a problem found later (a user that does not exist) can name it. See where().
    std::map<std::string, std::string> origins;
};

// Whether the user gave `key` (in the file or as a flag), rather than its default holding.
inline bool was_set(const Config& config, std::string_view key) {
    return std::ranges::find(config.keys_set, key) != config.keys_set.end();
}

// Whether the error log goes to systemd's journal (error_log = "journald") rather than to a
// file or stderr.
inline bool logs_to_journal(const Config& config) {
    return config.error_log == "journald";
}

// Whether the demo's routes are served: as `demo_routes` says, else only without a `root`.
inline bool wants_demo_routes(const Config& config) {
    return config.demo_routes.value_or(config.root.empty());
}

}  // namespace forkd::config
