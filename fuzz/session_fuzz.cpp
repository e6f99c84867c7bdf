// Fuzz target: the whole request pipeline of one connection. The input is what a client
// sends; it goes into one end of a socketpair, a real blocking session
// (session::serve_connection, the code of single, fork and prefork modes) serves the other
// end with forkd's router, the demo and static files, and the client side reads every byte
// that comes back until the session closes.
//
// Checked: no crash, no hang (the session must finish well within its own deadlines, since
// the client's side ends with a shutdown), every response framed exactly
// (response_reader.hpp), one final response per request the parser accepts, in order and
// in the request's HTTP version, a body for none of the HEAD requests, the close where the
// client or keepalive_requests asked for it, the parser's status for a refused request, and
// never a byte of the file that lies outside the document root.
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "fuzz_check.hpp"
#include "handlers/demo.hpp"
#include "handlers/static_files.hpp"
#include "request_stream.hpp"
#include "response_reader.hpp"
#include "session/connection.hpp"

namespace {

using namespace forkd;
namespace fs = std::filesystem;

constexpr std::string_view kSecret = "FORKD-FUZZ-SECRET-OUTSIDE-THE-ROOT";
constexpr auto kDeadline = std::chrono::seconds(10);  // every session timeout
constexpr auto kMaxServeTime = std::chrono::seconds(5);
constexpr int kPollTimeoutMs = 10 * 1000;

void write_file(const fs::path& path, std::string_view text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A document root with files, a directory without index, a dotfile, a precompressed
// variant, and symlinks that try to leave it; the secret lies beside the root.
fs::path make_document_root() {
    std::string base_template = (fs::temp_directory_path() / "forkd-fuzz-XXXXXX").string();
    FUZZ_CHECK(::mkdtemp(base_template.data()) != nullptr, "a temporary directory");
    const fs::path base = base_template;
    const fs::path root = base / "root";
    fs::create_directories(root / "sub" / "empty");
    write_file(base / "secret.txt", kSecret);
    write_file(root / "index.html", "<h1>home</h1>\n");
    write_file(root / "a.txt", "alpha, the first file\n");
    write_file(root / "a.txt.gz", "not really gzip");
    write_file(root / ".hidden", "a dotfile");
    write_file(root / "sub" / "b.css", "body { color: red }\n");
    fs::create_symlink("../secret.txt", root / "up");
    fs::create_symlink(base / "secret.txt", root / "abs");
    fs::create_symlink("../../secret.txt", root / "sub" / "upup");
    fs::create_symlink("loop", root / "loop");
    fs::create_symlink("sub", root / "inside");
    return root;
}

struct Server {
    session::Options options;
    Router router;
    session::AccessLog access_log;  // off
    session::Observer observer;

    fs::path root = make_document_root();

    ~Server() { fs::remove_all(root.parent_path()); }  // when libFuzzer exits normally
    Server() {
        spdlog::set_level(spdlog::level::off);  // handlers' errors are expected here
        config::Config config;
        config.root = root.string();
        config.autoindex = true;
        config.locations = {"/assets/=" + config.root + "/sub"};
        config.max_request_line = 512;
        config.max_header_size = 2048;
        config.max_body_size = 4096;
        config.keepalive_requests = 8;
        config.client_header_timeout = config.client_body_timeout = kDeadline;
        config.keepalive_timeout = config.send_timeout = config.lingering_timeout = kDeadline;
        options = session::Options::from(config);
        // The demo never sleeps here: `?sleep` and `?sleep=0` answer at once, others 400.
        handlers::add_demo_routes(router, config::DemoConfig{config::Duration(0), 0});
        // The static files after the demo's exact routes, as forkd's own router places them.
        router.add("/", Route::Match::prefix,
                   std::make_shared<handlers::StaticFilesHandler>(config));
    }
};

// The client: sends `input`, then shuts its side down, and reads until the server closes.
// Reading while sending, so that neither side can block the other.
std::string converse(int fd, std::string_view input) {
    std::string received;
    std::size_t sent = 0;
    bool shut = false;
    char buffer[16 * 1024];
    for (;;) {
        if (sent == input.size() && !shut) {
            ::shutdown(fd, SHUT_WR);
            shut = true;
        }
        pollfd entry{fd, static_cast<short>(POLLIN | (shut ? 0 : POLLOUT)), 0};
        FUZZ_CHECK(::poll(&entry, 1, kPollTimeoutMs) == 1, "the session does not fall silent");
        if (entry.revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) return received;  // closed (or reset after an unread request)
            received.append(buffer, static_cast<std::size_t>(n));
        }
        if (!shut && (entry.revents & POLLOUT)) {
            const ssize_t n =
                ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            sent = n < 0 ? input.size() : sent + static_cast<std::size_t>(n);
        }
    }
}

bool expects_continue(const Request& request) {
    const auto expect = request.headers.get("Expect");
    return request.version == 11 && expect.has_value();
}

// Every response against the requests the parser finds in the same bytes.
void check_responses(std::string_view input, std::string_view output, const Server& server) {
    // Unless the client sent it itself: an error page may quote a bad field back (escaped).
    FUZZ_CHECK(input.find(kSecret) != std::string_view::npos ||
                   output.find(kSecret) == std::string_view::npos,
               "no byte from outside the document root");
    const auto stream = fuzz::read_requests(input, {}, server.options.limits, SIZE_MAX);
    fuzz::ResponseReader reader(output);
    for (std::size_t i = 0; i < stream.requests.size(); ++i) {
        const Request& request = stream.requests[i].request;
        fuzz::ReadResponse response = reader.next(request.is_head());
        if (response.status == 100) {
            FUZZ_CHECK(expects_continue(request), "100 Continue only when asked for");
            response = reader.next(request.is_head());
        }
        FUZZ_CHECK(response.status >= 200, "one final response per request");
        FUZZ_CHECK(response.version == request.version,
                   "the response speaks the request's version");
        if (request.is_head()) FUZZ_CHECK(response.body.empty(), "no body for HEAD");
        if (!http::wants_keep_alive(request) ||
            static_cast<int>(i + 1) == server.options.keepalive_requests)
            FUZZ_CHECK(response.closes, "the close the client or keepalive_requests asked for");
        if (response.closes) {
            FUZZ_CHECK(reader.at_end(), "nothing after a response that closes");
            return;
        }
    }
    // The request the bytes ended in may have been told to go on with its body.
    std::optional<fuzz::ReadResponse> last;
    if (!reader.at_end()) last = reader.next(false);
    if (last && last->status == 100) {
        last.reset();
        if (!reader.at_end()) last = reader.next(false);
    }
    if (stream.end == fuzz::RequestStream::End::error) {
        FUZZ_CHECK(last.has_value(), "a refused request gets an answer");
        const fuzz::ReadResponse& refusal = *last;
        FUZZ_CHECK(refusal.status == stream.error_status, "a refused request gets its status");
        FUZZ_CHECK(refusal.closes, "a refused request closes the connection");
    } else {
        FUZZ_CHECK(!last.has_value(), "no response without a request");
    }
    FUZZ_CHECK(reader.at_end(), "nothing after the last response");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Server server;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    int ends[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0, "a socketpair");
    ::fcntl(ends[0], F_SETFL, O_NONBLOCK);  // the session's I/O waits with ppoll itself
    Fd client(ends[1]);

    std::string output;
    std::thread peer([&] { output = converse(client.get(), input); });
    const auto start = std::chrono::steady_clock::now();
    session::Services services{server.options, server.router, server.access_log, server.observer};
    session::serve_connection(Fd(ends[0]), "fuzz", services);
    FUZZ_CHECK(std::chrono::steady_clock::now() - start < kMaxServeTime,
               "the session ends soon after the client's half-close");
    peer.join();
    check_responses(input, output, server);
    return 0;
}
