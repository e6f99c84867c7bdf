#include "session/kept_storage.hpp"

namespace forkd::session {
namespace {

// Pointers, never freed, not objects: a thread_local with a destructor is registered with the
// C library at its first use in each process (two symbols bound lazily, a lookup each, and an
// allocation: 10-11 page faults), and in fork mode every connection is a new process.
thread_local ConnectionStorage* kept_connection = nullptr;
thread_local std::string* kept_head = nullptr;

constexpr std::size_t kReceivedRoom = 4 * 1024;
constexpr std::size_t kFieldsRoom = 16;
constexpr std::size_t kRequestIdRoom = 32;
constexpr std::size_t kHeadRoom = 1024;

}  // namespace

ConnectionStorage& kept_connection_storage(const http::Limits& limits) {
    if (kept_connection == nullptr) kept_connection = new ConnectionStorage(limits);
    if (kept_connection->parser.limits() != limits) kept_connection->parser.set_limits(limits);
    return *kept_connection;
}

std::string& kept_response_head() {
    if (kept_head == nullptr) kept_head = new std::string();
    return *kept_head;
}

void prepare_kept_storage(const http::Limits& limits) {
    ConnectionStorage& storage = kept_connection_storage(limits);
    Request& request = storage.parser.request();
    request.headers.reserve(kFieldsRoom);
    request.request_id.reserve(kRequestIdRoom);
    kept_response_head().reserve(kHeadRoom);
    // Last: of this one a child writes only the first bytes, and it would push the others
    // onto another page.
    storage.received.reserve(kReceivedRoom);
}

}  // namespace forkd::session
