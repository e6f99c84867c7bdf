#include "os/journal_sink.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/log.hpp"

namespace forkd::os {
namespace {

void add_field(std::string& out, std::string_view key, std::string_view value) {
    out += key;
    if (value.find('\n') == std::string_view::npos) {
        out += '=';
        out += value;
    } else {
        // The binary form: the value's length, 64 bits little endian, then the value.
        out += '\n';
        std::uint64_t size = value.size();
        for (int i = 0; i < 8; ++i)
            out += static_cast<char>((size >> (8 * i)) & 0xff);
        out += value;
    }
    out += '\n';
}

}  // namespace

int journal_priority(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::critical:
            return 2;
        case spdlog::level::err:
            return 3;
        case spdlog::level::warn:
            return 4;
        case spdlog::level::info:
            return 6;
        default:
            return 7;
    }
}

std::string journal_entry(int priority, std::string_view message, std::string_view role, long pid) {
    std::string out;
    out.reserve(message.size() + 128);
    add_field(out, "MESSAGE", message.substr(0, JournalSink::kMaxMessage));
    add_field(out, "PRIORITY", std::to_string(priority));
    add_field(out, "SYSLOG_IDENTIFIER", "forkd");
    add_field(out, "SYSLOG_PID", std::to_string(pid));
    add_field(out, "FORKD_ROLE", role);
    return out;
}

JournalSink::JournalSink(std::string socket_path) : socket_path_(std::move(socket_path)) {
    struct stat status {};
    if (::stat(socket_path_.c_str(), &status) != 0) {
        throw std::runtime_error(socket_path_ + ": " + std::strerror(errno));
    }
    if (!S_ISSOCK(status.st_mode)) throw std::runtime_error(socket_path_ + ": not a socket");
    if (socket_path_.size() >= sizeof(sockaddr_un::sun_path)) {
        throw std::runtime_error(socket_path_ + ": the path is too long for a unix socket");
    }
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    socket_ = Fd(fd);
}

// One sendto per line, addressed each time rather than connected: a journal that restarted
// has a new socket at the same path, which a connected socket would never reach.
void JournalSink::sink_it_(const spdlog::details::log_msg& message) {
    std::string entry =
        journal_entry(journal_priority(message.level),
                      std::string_view(message.payload.data(), message.payload.size()), log::role(),
                      static_cast<long>(::getpid()));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
    // Errors are dropped, as a full disk's are for a file: logging must not stop the server.
    ::sendto(socket_.get(), entry.data(), entry.size(), MSG_NOSIGNAL,
             reinterpret_cast<const sockaddr*>(&address), sizeof address);
}

}  // namespace forkd::os
