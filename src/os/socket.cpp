#include "os/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "base/log.hpp"

namespace forkd::os {
namespace {

[[noreturn]] void fail(const std::string& name, const char* what, int error) {
    throw std::runtime_error(name + ": " + what + ": " + std::strerror(error));
}

std::string format_peer(const sockaddr_storage& address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (address.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    return "unix";
}

// `in_use`: what to add to "address already in use" (empty: nothing).
void bind_and_listen(int fd, const sockaddr* address, socklen_t length, int backlog,
                     const std::string& name, const std::string& in_use = "") {
    if (::bind(fd, address, length) != 0) {
        int error = errno;
        if (error == EADDRINUSE && !in_use.empty()) {
            throw std::runtime_error(name + ": cannot listen: " + std::strerror(error) + " (" +
                                     in_use + ")");
        }
        if (error == EADDRINUSE) fail(name, "cannot listen", error);
        if (error == EACCES)
            fail(name, "not permitted to bind (a port below 1024 needs root)", error);
        fail(name, "cannot bind", error);
    }
    if (::listen(fd, backlog) != 0) fail(name, "cannot listen", errno);
}

}  // namespace

Fd listen_tcp(const std::string& host, uint16_t port, int backlog, const std::string& name,
              bool reuse_port) {
    sockaddr_storage address{};
    socklen_t length = 0;
    auto* in = reinterpret_cast<sockaddr_in*>(&address);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        length = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
    } else {
        throw std::runtime_error(name + ": not a numeric IPv4 or IPv6 address");
    }
    Fd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) fail(name, "cannot create socket", errno);
    int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
        fail(name, "cannot set SO_REUSEPORT", errno);
    }
    if (address.ss_family == AF_INET6) {
        // "[::]:80" means IPv6 only, as in nginx; "*:80" is the IPv4 wildcard.
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    }
    // The kernel lets a second socket bind a listening address only when both set
    // SO_REUSEPORT and belong to the same user.
    bind_and_listen(fd.get(), reinterpret_cast<sockaddr*>(&address), length, backlog, name,
                    reuse_port ? "a socket without SO_REUSEPORT, or another user's, is bound "
                                 "to it: reuse_port shares a port only among servers that all "
                                 "set it and run as the same user"
                               : "another socket is bound to it; servers that all set "
                                 "reuse_port can share a port");
    tune_tcp_listener(fd.get());
    return fd;
}

std::string migrate_queue_on_close(int listener) {
    std::ifstream sysctl("/proc/sys/net/ipv4/tcp_migrate_req");
    int migrate_req = 0;
    if (sysctl >> migrate_req && migrate_req == 1) return "";
    // r0 = SK_PASS; exit: no socket selected, so the kernel picks one by its hash, as it does
    // without a program, and, for this attach type, also when a socket of the group closes.
    bpf_insn program[2] = {};
    program[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    program[0].dst_reg = BPF_REG_0;
    program[0].imm = SK_PASS;
    program[1].code = BPF_JMP | BPF_EXIT;
    static const char license[] = "GPL";
    bpf_attr attributes{};
    attributes.prog_type = BPF_PROG_TYPE_SK_REUSEPORT;
    attributes.expected_attach_type = BPF_SK_REUSEPORT_SELECT_OR_MIGRATE;
    attributes.insns = reinterpret_cast<std::uintptr_t>(program);
    attributes.insn_cnt = 2;
    attributes.license = reinterpret_cast<std::uintptr_t>(license);
    Fd loaded(static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &attributes, sizeof attributes)));
    if (!loaded) {
        int error = errno;
        return std::string(
                   "cannot load the eBPF program that asks for it, which needs root "
                   "or CAP_BPF and Linux 5.14 or later: ") +
               std::strerror(error);
    }
    int program_fd = loaded.get();
    if (::setsockopt(listener, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &program_fd,
                     sizeof program_fd) != 0) {
        return std::string("cannot attach the eBPF program that asks for it: ") +
               std::strerror(errno);
    }
    return "";  // the group holds the program now; our descriptor of it may close
}

Fd listen_unix(const std::string& path, int backlog, const std::string& name) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
        throw std::runtime_error(name + ": unix socket path is too long");
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) fail(name, "cannot create socket", errno);

    struct stat status {};
    if (::lstat(path.c_str(), &status) == 0 && S_ISSOCK(status.st_mode)) {
        // A socket file nobody answers on is left over from a server that died: replace it.
        Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
            fail(name, "cannot listen", EADDRINUSE);
        }
        ::unlink(path.c_str());
    }
    bind_and_listen(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address, backlog, name);
    return fd;
}

std::string local_address(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
    if (address.ss_family == AF_UNIX) {
        const auto* un = reinterpret_cast<const sockaddr_un*>(&address);
        return std::string("unix:") + un->sun_path;
    }
    return format_peer(address);
}

bool reuses_port(int fd) {
    int on = 0;
    socklen_t length = sizeof on;
    return ::getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, &length) == 0 && on != 0;
}

std::optional<Accepted> accept_connection(int listener, bool* out_of_resources) {
    if (out_of_resources != nullptr) *out_of_resources = false;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&address), &length,
                       SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        int error = errno;
        if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
            // Once a second at most: the listener stays readable, so a caller that keeps
            // trying would otherwise write this line thousands of times.
            static auto last_logged = std::chrono::steady_clock::time_point{};
            auto now = std::chrono::steady_clock::now();
            if (now - last_logged >= std::chrono::seconds(1)) {
                last_logged = now;
                log::warn("accept: {} (connections wait in the listen queue)",
                          std::strerror(error));
            }
            if (out_of_resources != nullptr) *out_of_resources = true;
        }
        // EAGAIN: another process took it; ECONNABORTED and the like: the client left.
        return std::nullopt;
    }
    return Accepted{Fd(fd), format_peer(address)};
}

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return;
    ::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

void tune_tcp_listener(int listener) {
    int on = 1;
    int lowat = kNotSentLowat;
    // Both fail harmlessly on a unix socket.
    ::setsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ::setsockopt(listener, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
}

void shutdown_write(int fd) {
    ::shutdown(fd, SHUT_WR);
}

void stop_listening(int listener) {
    ::shutdown(listener, SHUT_RD);
}

std::size_t pending_input(int fd) {
    int bytes = 0;
    if (::ioctl(fd, FIONREAD, &bytes) != 0 || bytes < 0) return 0;
    return static_cast<std::size_t>(bytes);
}

}  // namespace forkd::os
