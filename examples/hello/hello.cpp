// hello: the smallest forkd program. Two routes, a hook, and the whole forkd server around
// them: every flag and setting of the `forkd` program works here too (./hello --help).
//
//     ./hello --listen 127.0.0.1:8080
//     curl http://127.0.0.1:8080/hello/bob          # hello bob
//
// Build: see CMakeLists.txt, or with pkg-config:
//     g++ -O2 hello.cpp $(pkg-config --cflags --libs forkd) -o hello
#include <forkd/forkd.hpp>

int main(int argc, char** argv) {
    forkd::App app;
    // A blocking handler (the default): it runs in an app worker, a process that serves one
    // request at a time, so it may take as long as it likes.
    app.get("/hello/{name}", [](const forkd::Request& r) {
        return forkd::Response::text("hello " + r.param("name"));
    });
    // An inline handler runs in the event loop of an io worker, beside thousands of other
    // connections: only for work that never blocks and cannot crash.
    app.get(
        "/health-inline", [](const forkd::Request&) { return forkd::Response::text("ok"); },
        forkd::inline_);
    // Once in every process that runs handlers: per-process resources go here.
    app.on_worker_start([] { /* per-process resources */ });
    return forkd::run(argc, argv, app);
}
