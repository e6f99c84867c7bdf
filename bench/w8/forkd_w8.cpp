// W8's forkd program (bench/workloads.py, w8): the four routes that httplib_w8.cpp and
// civetweb_w8.cpp serve with the same logic, on forkd's embedding API. The bench runs it in
// hybrid mode (1 io worker, 8 app workers) from bench/anchors/forkd.toml.tmpl.
//
//     GET /hello           "hello", blocking: an app worker answers it
//     GET /fast            "fast", inline: the io worker answers it; `/fast?blocking` sends
//                          the same handler to an app worker (W8b's second variant)
//     GET /slow            sleeps 50 ms, then "slow", blocking
//     GET /crash           raise(SIGSEGV), blocking: the app worker dies, the client gets 502
#include <chrono>
#include <csignal>
#include <forkd/forkd.hpp>
#include <thread>

int main(int argc, char** argv) {
    forkd::App app;
    app.get("/hello", [](const forkd::Request&) { return forkd::Response::text("hello"); });
    app.get(
        "/fast", [](const forkd::Request&) { return forkd::Response::text("fast"); },
        forkd::DispatchRule([](const forkd::Request& request) {
            return request.query == "blocking" ? forkd::blocking : forkd::inline_;
        }));
    app.get("/slow", [](const forkd::Request&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return forkd::Response::text("slow");
    });
    app.get("/crash", [](const forkd::Request&) -> forkd::Response {
        std::raise(SIGSEGV);
        return forkd::Response::text("not reached");
    });
    return forkd::run(argc, argv, app);
}
