// W8's CivetWeb server (bench/workloads.py, w8): the routes of forkd_w8.cpp with the same
// logic, on CivetWeb 1.15 (Debian's libcivetweb-dev). 8 worker threads (`num_threads`),
// keep-alive on (`enable_keep_alive`; CivetWeb's default is off), TCP_NODELAY on
// (`tcp_nodelay`: the head and the body are separate writes, and with Nagle's algorithm the
// body would wait for the client's delayed ACK), everything else as shipped.
// The bench compiles it:
//
//     g++ -std=c++17 -O2 civetweb_w8.cpp -lcivetweb -pthread
//
//     civetweb_w8 PORT     serves 127.0.0.1:PORT until SIGTERM or SIGINT
//
// A handler that crashes ends the whole process: every thread, every connection.
#include <civetweb.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>

namespace {

int answer(mg_connection* conn, const char* body) {
    const size_t length = std::strlen(body);
    mg_send_http_ok(conn, "text/plain; charset=utf-8", static_cast<long long>(length));
    mg_write(conn, body, length);
    return 200;
}

int hello(mg_connection* conn, void*) {
    return answer(conn, "hello");
}

int fast(mg_connection* conn, void*) {
    return answer(conn, "fast");
}

int slow(mg_connection* conn, void*) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return answer(conn, "slow");
}

int crash(mg_connection* conn, void*) {
    std::raise(SIGSEGV);
    return answer(conn, "not reached");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    // Blocked here, so in every thread CivetWeb starts: sigwait below takes them.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    const std::string port = std::string("127.0.0.1:") + argv[1];
    const char* options[] = {
        "listening_ports", port.c_str(), "num_threads", "8", "enable_keep_alive", "yes",
        "tcp_nodelay",     "1",          nullptr};
    mg_init_library(0);
    mg_callbacks callbacks{};
    mg_context* context = mg_start(&callbacks, nullptr, options);
    if (context == nullptr) return 1;
    mg_set_request_handler(context, "/hello$", hello, nullptr);
    mg_set_request_handler(context, "/fast$", fast, nullptr);
    mg_set_request_handler(context, "/slow$", slow, nullptr);
    mg_set_request_handler(context, "/crash$", crash, nullptr);
    int signal = 0;
    sigwait(&stop, &signal);
    mg_stop(context);
    mg_exit_library();
    return 0;
}
