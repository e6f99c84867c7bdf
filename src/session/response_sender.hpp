// Writes a response to a blocking-style client socket, as its plan says
// (http/response_plan.hpp): the head and an in-memory body in one sendmsg, a file body with
// sendfile (a small one read and sent with the head), a stream body in chunks (HTTP/1.1) or
// until the close (HTTP/1.0). HEAD requests and 1xx/204/304 get the head only.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "forkd/request.hpp"
#include "forkd/response.hpp"

namespace forkd::session {

struct Options;

struct SendResult {
    bool complete = false;    // every byte went out
    bool keep_alive = false;  // the connection may serve another request
    std::size_t body_bytes = 0;
};

// A file body up to this size is read and sent with the head in one write instead of with
// sendfile: one TCP segment instead of two, fewer system calls, and less CPU per response
// for small files (docs/benchmarks.md, W3: why h2o beats nginx on 4 KiB files).
inline constexpr off_t kFileReadUpTo = 32 * 1024;

// Appends a small file body's bytes to `out` (see kFileReadUpTo), behind the head already
// there. False, `out` as it was, for a larger file or one that cannot be read whole: it is
// then sent with sendfile, which reports the problem as it would have.
bool append_small_file(const FileBody& file, std::string& out);

// `keep_alive` is what the request and the server allow (http::may_keep_alive); the
// response may still close the connection (http::plan_response). Each write may wait up to
// send_timeout for the client to take bytes. `shut_down_after`: the caller shuts the
// connection down right after a response that ends it (the blocking session does; an app
// worker leaves the connection to its io worker), so that response's bytes may wait for the
// FIN in the kernel and leave in one segment with it (os::write_all).
SendResult send_response(int fd, const Request& request, Response& response, bool keep_alive,
                         const Options& options, bool shut_down_after = false);

}  // namespace forkd::session
