// stream: a response written while the client receives it, here server-sent events. The
// handler returns at once with a function; forkd calls it to write the body piece by piece,
// each piece sent as it is written: chunked to an HTTP/1.1 client, delimited by the close of
// the connection for HTTP/1.0.
//
//     ./stream --listen 127.0.0.1:8080
//     curl -N http://127.0.0.1:8080/events?count=3     # data: tick 1 ... data: tick 3
//
// Build: see CMakeLists.txt, or g++ -O2 stream.cpp $(pkg-config --cflags --libs forkd) -o stream
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include <forkd/forkd.hpp>

namespace {

// ?count=N events (1 to 100, 5 when absent or not a number).
int event_count(const forkd::Request& r) {
    std::string text = r.query_param("count").value_or("5");
    int count = 5;
    try {
        count = std::stoi(text);
    } catch (const std::exception&) {
    }
    return std::clamp(count, 1, 100);
}

}  // namespace

int main(int argc, char** argv) {
    forkd::App app;
    // A stream holds its process while it writes: a blocking route (the default), never
    // an inline one.
    app.get("/events", [](const forkd::Request& r) {
        int count = event_count(r);
        forkd::Response response =
            forkd::Response::stream("text/event-stream", [count](forkd::BodyWriter& w) {
                for (int i = 1; i <= count; ++i) {
                    // false: the client is gone; stop writing.
                    if (!w.write("data: tick " + std::to_string(i) + "\n\n")) return;
                    if (i < count) std::this_thread::sleep_for(std::chrono::milliseconds(200));
                }
            });
        response.header("Cache-Control", "no-cache");
        return response;
    });
    return forkd::run(argc, argv, app);
}
