// An embedding program for the integration tests (test_embedding.py): one route per
// capability of the public API, and hooks that leave traces a test can read. Built against
// the forkd library as any user's program is.
//
// FORKD_TEST_HOOK_LOG: a file every hook appends one line to ("start <pid>", "exit <pid>",
// "preload <pid>"). FORKD_TEST_PRELOAD_THREAD=1: the preload hook starts a thread, which
// forkd must refuse. FORKD_TEST_GATE: a FIFO the /stream handler waits on (up to 20 s) between
// its first and last piece until the test writes to it, so that the test can show the first
// piece arrived on its own.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <forkd/forkd.hpp>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

std::string g_preloaded = "not preloaded";
std::string g_started_in = "no worker start hook";

void trace(const std::string& what) {
    const char* path = std::getenv("FORKD_TEST_HOOK_LOG");
    if (path == nullptr) return;
    std::ofstream(path, std::ios::app) << what << ' ' << ::getpid() << '\n';
}

std::string pid_text() {
    return std::to_string(::getpid());
}

uint32_t crc32_of(const forkd::RequestBody& body) {
    uint32_t crc = 0xffffffffu;
    char piece[64 * 1024];
    uint64_t offset = 0;
    while (std::size_t got = body.read_at(offset, piece)) {
        for (std::size_t i = 0; i < got; ++i) {
            crc ^= static_cast<unsigned char>(piece[i]);
            for (int bit = 0; bit < 8; ++bit)
                crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
        offset += got;
    }
    return ~crc;
}

void add_routes(forkd::App& app) {
    using forkd::Request;
    using forkd::Response;
    app.get("/hello/{name}",
            [](const Request& r) { return Response::text("hello " + r.param("name")); });
    app.get("/pid", [](const Request&) { return Response::text(pid_text()); });
    app.get(
        "/inline", [](const Request&) { return Response::text(pid_text()); }, forkd::inline_);
    // Inline unless the query asks for the slow path: the choice is per request.
    app.get(
        "/either", [](const Request&) { return Response::text(pid_text()); },
        [](const Request& r) { return r.query_param("slow") ? forkd::blocking : forkd::inline_; });
    app.get("/files/{path...}", [](const Request& r) { return Response::text(r.param("path")); });
    app.get("/query", [](const Request& r) {
        std::string tags;
        for (const std::string& tag : r.query_params("tag"))
            tags += "[" + tag + "]";
        return Response::text("q=" + r.query_param("q").value_or("-") + " tags=" + tags);
    });
    app.get("/items/{id}",
            [](const Request& r) { return Response::json("{\"id\":\"" + r.param("id") + "\"}"); });
    app.put("/items/{id}",
            [](const Request& r) { return Response::text("stored " + r.param("id")); });
    app.post("/upload", [](const Request& r) {
        char crc[16];
        std::snprintf(crc, sizeof crc, "%08x", crc32_of(r.body));
        return Response::text(std::to_string(r.body.size()) + " " + crc + " " +
                              (r.body.in_file() ? "file" : "memory"));
    });
    app.post("/echo", [](const Request& r) { return Response::text(r.body.text()); });
    app.get("/stream", [](const Request&) {
        return Response::stream("text/event-stream", [](forkd::BodyWriter& out) {
            // Open before the first piece goes out, so that the test's open for writing
            // finds a reader as soon as it has read that piece.
            const char* gate = std::getenv("FORKD_TEST_GATE");
            int gate_fd = gate == nullptr ? -1 : ::open(gate, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            if (out.write("data: first\n\n") && gate_fd >= 0) {
                pollfd opened{gate_fd, POLLIN, 0};
                ::poll(&opened, 1, 20'000);
            }
            if (gate_fd >= 0) ::close(gate_fd);
            out.write("data: last\n\n");
        });
    });
    app.get("/throw",
            [](const Request&) -> Response { throw std::runtime_error("the handler gave up"); });
    app.get("/crash", [](const Request&) -> Response {
        ::raise(SIGSEGV);
        return Response::text("unreachable");
    });
    app.get("/hang", [](const Request&) -> Response {
        for (;;)
            ::pause();  // until request_timeout ends the process
    });
    app.get("/redirect", [](const Request&) { return Response::redirect("/hello/redirected"); });
    app.get("/hooks",
            [](const Request&) { return Response::text(g_preloaded + "; " + g_started_in); });
    app.get("/remote", [](const Request& r) {
        return Response::text(r.remote_addr + " " + std::string(r.header("X-Test").value_or("-")));
    });
    app.get("/request-id", [](const Request& r) { return Response::text(r.request_id); });
}

}  // namespace

int main(int argc, char** argv) {
    forkd::App app;
    add_routes(app);
    app.error_page(404, "<h1>custom not found</h1>\n");
    app.error_page(502, "<h1>custom bad gateway</h1>\n");
    app.on_preload([] {
        g_preloaded = "preloaded in " + pid_text();
        trace("preload");
        if (std::getenv("FORKD_TEST_PRELOAD_THREAD") != nullptr) {
            std::thread([] {
                for (;;)
                    ::pause();
            }).detach();
        }
    });
    app.on_worker_start([] {
        g_started_in = "started in " + pid_text();
        trace("start");
    });
    app.on_worker_exit([] { trace("exit"); });
    return forkd::run(argc, argv, app);
}
