// W8's cpp-httplib server (bench/workloads.py, w8): the routes of forkd_w8.cpp with the same
// logic, on cpp-httplib 0.11.4 (Debian's libcpp-httplib-dev). A pool of 8 threads, keep-alive
// as shipped (at most 5 requests per connection, 5 s idle), TCP_NODELAY on. The bench compiles it:
//
//     g++ -std=c++17 -O2 httplib_w8.cpp $(pkg-config --cflags --libs cpp-httplib) -pthread
//
//     httplib_w8 PORT      serves 127.0.0.1:PORT until killed
//
// A handler that crashes ends the whole process: every thread, every connection.
#include <httplib.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(8); };
    // As forkd and CivetWeb (tcp_nodelay) here: the head and the body are separate writes,
    // and with Nagle's algorithm the body waits for the client's delayed ACK (40 ms).
    server.set_tcp_nodelay(true);
    const char* text = "text/plain; charset=utf-8";
    server.Get("/hello", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content("hello", text);
    });
    server.Get("/fast", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content("fast", text);
    });
    server.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        res.set_content("slow", text);
    });
    server.Get("/crash", [&](const httplib::Request&, httplib::Response& res) {
        std::raise(SIGSEGV);
        res.set_content("not reached", text);
    });
    return server.listen("127.0.0.1", std::atoi(argv[1])) ? 0 : 1;
}
