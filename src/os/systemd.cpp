#include "os/systemd.hpp"

#include <fcntl.h>
#include <systemd/sd-daemon.h>

namespace forkd::os {

void notify_systemd_ready() {
    ::sd_notify(0, "READY=1");
}
void notify_systemd_reloading() {
    ::sd_notify(0, "RELOADING=1");
}
void notify_systemd_stopping() {
    ::sd_notify(0, "STOPPING=1");
}
void notify_systemd_main_pid(pid_t pid) {
    ::sd_notifyf(0, "MAINPID=%d\nREADY=1", static_cast<int>(pid));
}

std::vector<int> systemd_listen_fds() {
    std::vector<int> fds;
    int count = ::sd_listen_fds(1);  // 1: unset LISTEN_* so children do not see them
    for (int i = 0; i < count; ++i) {
        int fd = SD_LISTEN_FDS_START + i;
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        fds.push_back(fd);
    }
    return fds;
}

}  // namespace forkd::os
