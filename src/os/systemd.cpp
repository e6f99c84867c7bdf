#include "os/systemd.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <string>

namespace forkd::os {
namespace {

// libsystemd is loaded only when systemd is talking to us ($NOTIFY_SOCKET or $LISTEN_FDS
// set), as systemd itself loads its optional libraries. Linked in, it and the six libraries
// it pulls (gcrypt, lz4, zstd, lzma, cap, gpg-error) add some forty mappings to every
// process: fork mode copies, faults in and tears down those mappings once per connection.
struct Libsystemd {
    decltype(&::sd_notify) notify = nullptr;
    decltype(&::sd_listen_fds) listen_fds = nullptr;
};

const Libsystemd& libsystemd() {
    static const Libsystemd loaded = [] {
        Libsystemd lib;
        if (std::getenv("NOTIFY_SOCKET") == nullptr && std::getenv("LISTEN_FDS") == nullptr) {
            return lib;
        }
        void* handle = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr) return lib;
        lib.notify = reinterpret_cast<decltype(&::sd_notify)>(::dlsym(handle, "sd_notify"));
        lib.listen_fds =
            reinterpret_cast<decltype(&::sd_listen_fds)>(::dlsym(handle, "sd_listen_fds"));
        return lib;
    }();
    return loaded;
}

void notify(const char* state) {
    if (libsystemd().notify != nullptr) libsystemd().notify(0, state);
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
    std::string state = "MAINPID=" + std::to_string(pid) + "\nREADY=1";
    notify(state.c_str());
}

std::vector<int> systemd_listen_fds() {
    std::vector<int> fds;
    if (libsystemd().listen_fds == nullptr) return fds;
    int count = libsystemd().listen_fds(1);  // 1: unset LISTEN_* so children do not see them
    for (int i = 0; i < count; ++i) {
        int fd = SD_LISTEN_FDS_START + i;
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        fds.push_back(fd);
    }
    return fds;
}

}  // namespace forkd::os
