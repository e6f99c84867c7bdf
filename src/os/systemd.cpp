#include "os/systemd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/decimal.hpp"
#include "base/fd.hpp"

namespace forkd::os {
namespace {

constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START

// Sends `state` to $NOTIFY_SOCKET: a path, or an abstract name written with a leading '@'.
// Failures are ignored, as sd_notify's callers do: systemd's own timeout reports them.
void notify(std::string_view state) {
    const char* socket_name = std::getenv("NOTIFY_SOCKET");
    if (socket_name == nullptr) return;
    std::string_view name = socket_name;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (name.empty() || (name[0] != '/' && name[0] != '@') ||
        name.size() >= sizeof address.sun_path) {
        return;  // none we can reach (systemd also knows vsock: addresses, for VMs)
    }
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    Fd socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket) return;
    ::sendto(socket.get(), state.data(), state.size(), MSG_NOSIGNAL,
             reinterpret_cast<const sockaddr*>(&address), length);
}

// A decimal number from the environment; 0 when unset or anything else.
long environment_number(const char* name) {
    const char* text = std::getenv(name);
    return text == nullptr ? 0 : whole_decimal<unsigned>(text).value_or(0);
}

}  // namespace

void notify_systemd_ready() {
    notify("READY=1");
}
void notify_systemd_reloading() {
    notify("RELOADING=1");
}
void notify_systemd_stopping() {
    notify("STOPPING=1");
}
void notify_systemd_main_pid(pid_t pid) {
    notify("MAINPID=" + std::to_string(pid) + "\nREADY=1");
}

std::vector<int> systemd_listen_fds() {
    std::vector<int> fds;
    long count =
        environment_number("LISTEN_PID") == ::getpid() ? environment_number("LISTEN_FDS") : 0;
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    for (long i = 0; i < count; ++i) {
        int fd = kListenFdsStart + static_cast<int>(i);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        fds.push_back(fd);
    }
    return fds;
}

}  // namespace forkd::os
