// systemd integration through libsystemd (loaded on demand): readiness notification (Type=notify)
// and the listening sockets of socket activation. Everything is a no-op outside systemd.
#pragma once

#include <sys/types.h>

#include <vector>

namespace forkd::os {

void notify_systemd_ready();
void notify_systemd_reloading();
void notify_systemd_stopping();
// A binary upgrade's new master tells systemd it is the main process now (needs
// NotifyAccess=all in the unit, as the new master is not the old main pid).
void notify_systemd_main_pid(pid_t pid);

// Listening sockets passed by systemd (LISTEN_FDS), made close-on-exec; empty when none.
std::vector<int> systemd_listen_fds();

}  // namespace forkd::os
