#include "os/io.hpp"

#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "os/signals.hpp"

namespace forkd::os {
namespace {

timespec remaining(Deadline deadline) {
    auto left = deadline - Clock::now();
    if (left < Clock::duration::zero()) left = Clock::duration::zero();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(left - seconds);
    return timespec{static_cast<time_t>(seconds.count()), static_cast<long>(nanos.count())};
}

// Waits for writability, ignoring stop signals: a response in progress is finished.
bool wait_writable(int fd, Deadline deadline) {
    for (;;) {
        Wait wait = wait_for(fd, POLLOUT, deadline);
        if (wait == Wait::ready) return true;
        if (wait == Wait::timeout) return false;
    }
}

}  // namespace

Wait wait_for(int fd, short events, Deadline deadline) {
    pollfd entry{fd, events, 0};
    timespec timeout = remaining(deadline);
    int ready = ::ppoll(&entry, 1, &timeout, wait_mask());
    if (ready > 0) return Wait::ready;
    if (ready == 0) return Wait::timeout;
    return errno == EINTR ? Wait::interrupted : Wait::ready;  // let the next call see the error
}

Wait wait_for_any_input(std::span<const int> fds, Deadline deadline, std::vector<bool>& ready) {
    // On the stack for the usual few (an app worker waits on its dispatch socket and an
    // application's exit): no allocation per request.
    boost::container::small_vector<pollfd, 8> entries;
    for (int fd : fds)
        entries.push_back({fd, POLLIN, 0});
    timespec timeout = remaining(deadline);
    int count = ::ppoll(entries.data(), entries.size(), &timeout, wait_mask());
    ready.assign(fds.size(), false);
    for (std::size_t i = 0; count > 0 && i < entries.size(); ++i)
        ready[i] = entries[i].revents != 0;
    if (count > 0) return Wait::ready;
    if (count == 0) return Wait::timeout;
    return errno == EINTR ? Wait::interrupted : Wait::ready;
}

Wait wait_for_input_or_hang_up(int fd, int client, Deadline deadline, bool& client_gone) {
    pollfd entries[2] = {{fd, POLLIN, 0}, {client, POLLRDHUP, 0}};
    timespec timeout = remaining(deadline);
    int ready = ::ppoll(entries, 2, &timeout, wait_mask());  // an fd of -1 is skipped
    client_gone = ready > 0 && entries[1].revents != 0;
    if (ready > 0) return Wait::ready;
    if (ready == 0) return Wait::timeout;
    return errno == EINTR ? Wait::interrupted : Wait::ready;
}

ReadOutcome read_some(int fd, std::span<char> buffer, Deadline deadline) {
    for (;;) {
        ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (got > 0) return {ReadResult::data, static_cast<std::size_t>(got)};
        if (got == 0) return {ReadResult::closed};
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return {ReadResult::error};
        switch (wait_for(fd, POLLIN, deadline)) {
            case Wait::ready:
                break;
            case Wait::timeout:
                return {ReadResult::timeout};
            case Wait::interrupted:
                return {ReadResult::interrupted};
        }
    }
}

WriteResult write_all(int fd, std::span<const std::string_view> pieces, Deadline deadline,
                      bool fin_follows) {
    const int flags = MSG_NOSIGNAL | (fin_follows ? MSG_MORE : 0);
    boost::container::small_vector<iovec, 8> vectors;  // a head and a body, usually
    for (std::string_view piece : pieces) {
        if (!piece.empty()) {
            vectors.push_back({const_cast<char*>(piece.data()), piece.size()});
        }
    }
    std::size_t first = 0;
    while (first < vectors.size()) {
        msghdr message{};
        message.msg_iov = &vectors[first];
        message.msg_iovlen = vectors.size() - first;
        ssize_t sent = ::sendmsg(fd, &message, flags);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return WriteResult::closed;
            if (!wait_writable(fd, deadline)) return WriteResult::timeout;
            continue;
        }
        auto left = static_cast<std::size_t>(sent);
        while (first < vectors.size() && left >= vectors[first].iov_len) {
            left -= vectors[first].iov_len;
            ++first;
        }
        if (first < vectors.size()) {
            vectors[first].iov_base = static_cast<char*>(vectors[first].iov_base) + left;
            vectors[first].iov_len -= left;
        }
    }
    return WriteResult::done;
}

WriteResult send_file(int fd, int file_fd, off_t offset, off_t length, Deadline deadline) {
    off_t end = offset + length;
    while (offset < end) {
        ssize_t sent = ::sendfile(fd, file_fd, &offset, static_cast<std::size_t>(end - offset));
        if (sent > 0) continue;
        if (sent == 0) return WriteResult::closed;  // the file is shorter than it was
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return WriteResult::closed;
        if (!wait_writable(fd, deadline)) return WriteResult::timeout;
    }
    return WriteResult::done;
}

}  // namespace forkd::os

namespace forkd::os {

Fd open_for_append(const std::string& path) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!fd) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    return fd;
}

void append_line(int fd, std::string_view line) {
    ssize_t written = ::write(fd, line.data(), line.size());
    static_cast<void>(written);
}

}  // namespace forkd::os

namespace forkd::os {

AttemptResult try_read(int fd, std::span<char> buffer) {
    for (;;) {
        ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (got > 0) return {Attempt::done, static_cast<std::size_t>(got)};
        if (got == 0) return {Attempt::closed};
        if (errno == EINTR) continue;
        return {errno == EAGAIN ? Attempt::would_block : Attempt::closed};
    }
}

AttemptResult try_read_pipe(int fd, std::span<char> buffer) {
    for (;;) {
        ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got > 0) return {Attempt::done, static_cast<std::size_t>(got)};
        if (got == 0) return {Attempt::closed};
        if (errno == EINTR) continue;
        return {errno == EAGAIN ? Attempt::would_block : Attempt::closed};
    }
}

namespace {

// One piece (an io worker's whole output, mostly) goes by send: the kernel then copies no
// message header and imports no vector, and no header is filled here.
AttemptResult try_send(int fd, std::string_view bytes) {
    if (bytes.empty()) return {Attempt::done, 0};
    for (;;) {
        ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent >= 0) return {Attempt::done, static_cast<std::size_t>(sent)};
        if (errno == EINTR) continue;
        return {errno == EAGAIN ? Attempt::would_block : Attempt::closed};
    }
}

}  // namespace

AttemptResult try_write(int fd, std::span<const std::string_view> pieces) {
    if (pieces.size() == 1) return try_send(fd, pieces.front());
    iovec vectors[8];
    std::string_view first;  // the first piece that is not empty
    std::size_t count = 0;
    for (std::string_view piece : pieces) {
        if (piece.empty() || count == 8) continue;
        if (count == 0) first = piece;
        vectors[count++] = {const_cast<char*>(piece.data()), piece.size()};
    }
    if (count <= 1) return try_send(fd, first);  // nothing, or one piece
    msghdr message{};
    message.msg_iov = vectors;
    message.msg_iovlen = count;
    for (;;) {
        ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent >= 0) return {Attempt::done, static_cast<std::size_t>(sent)};
        if (errno == EINTR) continue;
        return {errno == EAGAIN ? Attempt::would_block : Attempt::closed};
    }
}

AttemptResult try_send_file(int fd, int file_fd, off_t& offset, std::size_t count) {
    for (;;) {
        ssize_t sent = ::sendfile(fd, file_fd, &offset, count);
        if (sent > 0) return {Attempt::done, static_cast<std::size_t>(sent)};
        if (sent == 0) return {Attempt::closed};
        if (errno == EINTR) continue;
        return {errno == EAGAIN ? Attempt::would_block : Attempt::closed};
    }
}

ssize_t read_at(int fd, std::uint64_t offset, std::span<char> out) {
    for (;;) {
        ssize_t got = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
        if (got >= 0 || errno != EINTR) return got;
    }
}

Fd open_regular_file(const std::string& path, std::uint64_t& size) {
    // O_NONBLOCK: a FIFO at `path` is refused below instead of blocking the open (it changes
    // nothing for a regular file).
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    struct stat facts {};
    if (!fd || ::fstat(fd.get(), &facts) != 0 || !S_ISREG(facts.st_mode)) return Fd();
    size = static_cast<std::uint64_t>(facts.st_size);
    return fd;
}

bool hung_up(int socket) {
    pollfd watch{socket, 0, 0};
    return ::poll(&watch, 1, 0) == 1 && (watch.revents & (POLLHUP | POLLERR)) != 0;
}

bool read_whole_file(int fd, std::string& out) {
    struct stat status {};
    // One allocation of the final size, not a doubling string that copies a large body.
    if (::fstat(fd, &status) == 0 && status.st_size > 0) {
        out.reserve(out.size() + static_cast<std::size_t>(status.st_size));
    }
    char chunk[64 * 1024];
    off_t offset = 0;
    for (;;) {
        ssize_t got = ::pread(fd, chunk, sizeof chunk, offset);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return false;
        if (got == 0) return true;
        out.append(chunk, static_cast<std::size_t>(got));
        offset += got;
    }
}

std::optional<uint64_t> file_size(int fd) {
    struct stat status {};
    if (::fstat(fd, &status) != 0) return std::nullopt;
    return static_cast<uint64_t>(status.st_size);
}

bool append_file_range(int fd, off_t offset, std::size_t length, std::string& out) {
    std::size_t start = out.size();
    out.resize(start + length);
    std::size_t done = 0;
    while (done < length) {
        ssize_t got = ::pread(fd, out.data() + start + done, length - done,
                              offset + static_cast<off_t>(done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            out.resize(start);
            return false;
        }
        done += static_cast<std::size_t>(got);
    }
    return true;
}

}  // namespace forkd::os
