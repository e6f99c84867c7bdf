// A client on the other end of a socket pair, for the blocking session's tests: it sends its
// whole request (and its end of input) before serve_connection runs, so no thread is needed,
// then reads the whole answer.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "base/fd.hpp"

namespace forkd::session::test_client {

struct SocketPair {
    Fd client;
    Fd served;  // for serve_connection
};

// A pair whose client has sent `raw` and shut down its sending side. MSG_DONTWAIT: a request
// larger than the socket's buffer fails the test, never hangs it.
inline SocketPair sent_request(const std::string& raw) {
    int pair[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    SocketPair sockets{Fd(pair[0]), Fd(pair[1])};
    EXPECT_EQ(::send(sockets.client.get(), raw.data(), raw.size(), MSG_DONTWAIT),
              static_cast<ssize_t>(raw.size()));
    ::shutdown(sockets.client.get(), SHUT_WR);
    return sockets;
}

// Everything the server sent the client, up to its close.
inline std::string answer_to(const Fd& client) {
    std::string answer;
    char chunk[4096];
    while (ssize_t got = ::read(client.get(), chunk, sizeof chunk)) {
        if (got < 0) break;
        answer.append(chunk, static_cast<std::size_t>(got));
    }
    return answer;
}

}  // namespace forkd::session::test_client
