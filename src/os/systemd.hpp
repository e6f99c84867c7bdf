// systemd integration: readiness notification (Type=notify) and the listening sockets of
// socket activation. Everything is a no-op outside systemd.
//
// Both are systemd's documented, stable protocols (sd_notify(3), sd_listen_fds(3)), spoken
// here directly rather than through libsystemd: forkd's program is linked statically, and a
// static program cannot load libsystemd (docs/architecture.md, "Fewer mappings, cheaper forks"). A
// notification is one datagram to the socket named in $NOTIFY_SOCKET; the passed sockets are
// fds 3 to 3 + $LISTEN_FDS - 1 when $LISTEN_PID names this process.
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
// Unsets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, so that no child takes them as its own.
std::vector<int> systemd_listen_fds();

}  // namespace forkd::os
