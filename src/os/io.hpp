// Blocking-style I/O on non-blocking fds, bounded by deadlines.
//
// The blocking session reads and writes with these: each call waits with ppoll(2) until the
// fd is ready or the deadline passes. While waiting, the signals of the process's wait mask
// (signals.hpp) are unblocked, so a stop request wakes an idle wait at once and never
// interrupts a handler.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.hpp"

namespace forkd::os {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

enum class Wait { ready, timeout, interrupted };
// Waits until `fd` has any of `events` (POLLIN, POLLOUT; errors and hang-ups count as ready).
Wait wait_for(int fd, short events, Deadline deadline);

// As wait_for(fd, POLLIN, deadline) for several fds at once; `ready` says which (as many
// entries as `fds`).
Wait wait_for_any_input(std::span<const int> fds, Deadline deadline, std::vector<bool>& ready);

// As wait_for(fd, POLLIN, deadline), and also until `client` (-1: none) hangs up
// (POLLRDHUP, POLLHUP or an error), which sets `client_gone` (a gateway's wait for its
// application, which is abandoned when nobody is left to answer).
Wait wait_for_input_or_hang_up(int fd, int client, Deadline deadline, bool& client_gone);

enum class ReadResult { data, closed, timeout, interrupted, error };
struct ReadOutcome {
    ReadResult result;
    std::size_t bytes = 0;
};
// Reads what is available (at most buffer.size() bytes), waiting up to `deadline` for it.
ReadOutcome read_some(int fd, std::span<char> buffer, Deadline deadline);

enum class WriteResult { done, timeout, closed };
// Writes every byte of every piece (one sendmsg where the kernel takes it all), retrying
// partial writes until `deadline`. A stop signal does not cut a write short.
// `fin_follows`: these are the connection's last bytes and the caller shuts the socket down
// (or closes it) right after; their last segment then waits in the kernel for the FIN and
// leaves with it (MSG_MORE), one segment and one wake-up of the client instead of two.
WriteResult write_all(int fd, std::span<const std::string_view> pieces, Deadline deadline,
                      bool fin_follows = false);
inline WriteResult write_all(int fd, std::string_view bytes, Deadline deadline,
                             bool fin_follows = false) {
    return write_all(fd, std::span<const std::string_view>(&bytes, 1), deadline, fin_follows);
}
// Sends `length` bytes of `file_fd` from `offset` with sendfile(2), never reading them into
// memory. Reports a file that shrank underneath as `closed`.
WriteResult send_file(int fd, int file_fd, off_t offset, off_t length, Deadline deadline);

}  // namespace forkd::os

namespace forkd::os {

// Opens `path` for appending (O_APPEND | O_CLOEXEC, created 0640); throws
// std::runtime_error naming the path.
Fd open_for_append(const std::string& path);
// One write(2): with O_APPEND, a line written by one call is never interleaved with another
// process's line. Errors are ignored (a full disk must not take the server down).
void append_line(int fd, std::string_view line);

}  // namespace forkd::os

namespace forkd::os {

// Non-blocking attempts for event loops: never wait.
enum class Attempt { done, would_block, closed };
struct AttemptResult {
    Attempt result;
    std::size_t bytes = 0;
};
AttemptResult try_read(int fd, std::span<char> buffer);       // a socket (recv)
AttemptResult try_read_pipe(int fd, std::span<char> buffer);  // any fd (read)
AttemptResult try_write(int fd, std::span<const std::string_view> pieces);
// Advances `offset`; `count` bytes at most.
AttemptResult try_send_file(int fd, int file_fd, off_t& offset, std::size_t count);
// Appends a whole file, read from its start, to `out`: e.g. a request body handed over as a
// temp file (os/temp_file.hpp).
bool read_whole_file(int fd, std::string& out);
// Up to out.size() bytes of file `fd` from `offset` (pread, EINTR retried); -1 with errno
// set on an error.
ssize_t read_at(int fd, std::uint64_t offset, std::span<char> out);
// Opens `path` for reading if it is a regular file (never blocking on a FIFO); an invalid
// Fd otherwise. `size` receives its size.
Fd open_regular_file(const std::string& path, std::uint64_t& size);
// Whether the peer of `socket` has hung up or it has an error, without waiting.
bool hung_up(int socket);
// The size of the open file `fd` (fstat), or nullopt when it cannot be had.
std::optional<uint64_t> file_size(int fd);
// Appends exactly `length` bytes of a file from `offset` to `out`; false (and `out` as it
// was) when the file is shorter now or cannot be read.
bool append_file_range(int fd, off_t offset, std::size_t length, std::string& out);

}  // namespace forkd::os
