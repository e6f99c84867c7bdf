// crash: a handler that crashes costs one request, never the server. Blocking handlers run
// in app workers, one request at a time each; when one dies of SIGSEGV its client gets
// 502, the master starts a new worker, and every other request is served as before.
//
//     ./crash --listen 127.0.0.1:8080
//     curl -i http://127.0.0.1:8080/crash      # 502 Bad Gateway
//     curl -i http://127.0.0.1:8080/           # 200, as before
//
// Build: see CMakeLists.txt, or g++ -O2 crash.cpp $(pkg-config --cflags --libs forkd) -o crash
#include <csignal>

#include <forkd/forkd.hpp>

int main(int argc, char** argv) {
    forkd::App app;
    app.get("/", [](const forkd::Request&) { return forkd::Response::text("still here\n"); });
    // A bug, on purpose: the process dies of SIGSEGV as it would on a bad pointer.
    app.get("/crash", [](const forkd::Request&) -> forkd::Response {
        std::raise(SIGSEGV);
        return forkd::Response::text("never sent\n");
    });
    return forkd::run(argc, argv, app);
}
