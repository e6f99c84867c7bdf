// What the kernel tells about processes and sockets: memory, listen queues, cgroup limits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace forkd::os {

// Proportional set size of `pid` in kB (/proc/PID/smaps_rollup): shared pages count once
// across the processes that share them, so the pool's total is honest. nullopt when gone.
std::optional<uint64_t> proportional_set_size_kb(pid_t pid);

// Connections waiting in a listener's accept queue: TCP_INFO for TCP, sock_diag for unix
// sockets. 0 for other sockets.
uint64_t listen_queue_length(int listener);

// Raises the soft limit on open files to the hard limit, as servers do at start: io workers
// hold thousands of connections, the hybrid master a socket pair per scoreboard slot.
// Returns the limit now in force.
uint64_t raise_open_files_limit();

// The memory.max of the calling process's cgroup (v2) in kB; nullopt when unlimited or
// unknown.
std::optional<uint64_t> cgroup_memory_limit_kb();

}  // namespace forkd::os
