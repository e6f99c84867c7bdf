#include "os/process_info.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "base/fd.hpp"

namespace forkd::os {

std::optional<uint64_t> proportional_set_size_kb(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string key;
    uint64_t value = 0;
    std::string unit;
    while (file >> key) {
        if (key == "Pss:") {
            file >> value;
            return value;
        }
        file.ignore(4096, '\n');
    }
    return std::nullopt;
}

namespace {

// A unix listener's accept queue, from the kernel's sock_diag netlink interface
// (UNIX_DIAG_RQLEN: for a listening socket, the connections waiting to be accepted).
// PHP-FPM and uWSGI report 0 for unix sockets; this is how to do better.
// The netlink macros (NLMSG_NEXT, RTA_NEXT, ...) are C casts.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-align"
uint64_t unix_listen_queue_length(int listener) {
    struct stat status {};
    if (::fstat(listener, &status) != 0) return 0;
    Fd netlink(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!netlink) return 0;
    struct {
        nlmsghdr header;
        unix_diag_req request;
    } query{};
    query.header.nlmsg_len = sizeof query;
    query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    query.header.nlmsg_flags = NLM_F_REQUEST;
    query.request.sdiag_family = AF_UNIX;
    query.request.udiag_states = 1U << TCP_LISTEN;
    query.request.udiag_ino = static_cast<uint32_t>(status.st_ino);
    query.request.udiag_show = UDIAG_SHOW_RQLEN;
    query.request.udiag_cookie[0] = query.request.udiag_cookie[1] = ~0U;  // any cookie
    if (::send(netlink.get(), &query, sizeof query, 0) < 0) return 0;
    alignas(nlmsghdr) char reply[8192];
    ssize_t got = ::recv(netlink.get(), reply, sizeof reply, 0);
    if (got <= 0) return 0;
    auto* header = reinterpret_cast<nlmsghdr*>(reply);
    auto size = static_cast<unsigned>(got);
    for (; NLMSG_OK(header, size); header = NLMSG_NEXT(header, size)) {
        if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY) return 0;
        auto* message = static_cast<unix_diag_msg*>(NLMSG_DATA(header));
        auto attributes_length =
            static_cast<int>(header->nlmsg_len - NLMSG_LENGTH(sizeof *message));
        auto* attribute = reinterpret_cast<rtattr*>(message + 1);
        for (; RTA_OK(attribute, attributes_length);
             attribute = RTA_NEXT(attribute, attributes_length)) {
            if (attribute->rta_type != UNIX_DIAG_RQLEN) continue;
            auto* lengths = static_cast<unix_diag_rqlen*>(RTA_DATA(attribute));
            return lengths->udiag_rqueue;
        }
    }
    return 0;
}
#pragma GCC diagnostic pop

}  // namespace

uint64_t listen_queue_length(int listener) {
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &address_length) != 0) {
        return 0;
    }
    if (address.ss_family == AF_UNIX) return unix_listen_queue_length(listener);
    tcp_info info{};
    socklen_t length = sizeof info;
    if (::getsockopt(listener, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return 0;
    if (info.tcpi_state != TCP_LISTEN) return 0;
    return info.tcpi_unacked;  // on a listening socket: the accept queue's length
}

uint64_t raise_open_files_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

std::optional<uint64_t> cgroup_memory_limit_kb() {
    std::ifstream cgroup("/proc/self/cgroup");
    std::string line;
    while (std::getline(cgroup, line)) {
        if (!line.starts_with("0::")) continue;  // the cgroup v2 line
        std::ifstream limit("/sys/fs/cgroup" + line.substr(3) + "/memory.max");
        std::string text;
        if (!(limit >> text) || text == "max") return std::nullopt;
        try {
            return std::stoull(text) / 1024;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace forkd::os
