// Writes a response to a blocking-style client socket: the head and an in-memory body in one
// sendmsg, a file body with sendfile, a stream body in chunks (HTTP/1.1) or until the close
// (HTTP/1.0). HEAD requests and 1xx/204/304 get the head only.
#pragma once

#include <cstddef>

#include "forkd/request.hpp"
#include "forkd/response.hpp"

namespace forkd::session {

struct Options;

struct SendResult {
    bool complete = false;    // every byte went out
    bool keep_alive = false;  // the connection may serve another request
    std::size_t body_bytes = 0;
};

// `keep_alive` is what the request and the server allow; a close-delimited stream turns it
// off. Each write may wait up to send_timeout for the client to take bytes.
SendResult send_response(int fd, const Request& request, Response& response, bool keep_alive,
                         const Options& options);

}  // namespace forkd::session
