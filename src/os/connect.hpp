// Connecting to an upstream server (a FastCGI application): a unix socket or a numeric TCP
// address, within a deadline.
#pragma once

#include <chrono>
#include <string>

#include <sys/types.h>

#include "base/fd.hpp"

namespace forkd::os {

// Connects to "unix:/run/php/php8.2-fpm.sock", "127.0.0.1:9000" or "[::1]:9000". The fd is
// non-blocking and close-on-exec; invalid with `error` set (an errno: ECONNREFUSED, ENOENT,
// ETIMEDOUT for the deadline, EINVAL for an address that is none of the three) otherwise.
Fd connect_stream(const std::string& address, std::chrono::steady_clock::time_point deadline,
                  int& error);

// A listening unix socket nobody else can reach, with one connection to it already made: a
// FastCGI application forkd starts itself (php-cgi) takes `listener` as its fd 0
// (FCGI_LISTENSOCK_FILENO) and accepts `connection`. The socket is bound in a new 0700
// directory of `directory` (or $TMPDIR, or /tmp), connected to, then unlinked with its
// directory before this returns: no name is left for another process to connect to, and
// no file for a crash to leave behind. `connection` is non-blocking and close-on-exec;
// `listener` is blocking and close-on-exec. Throws std::system_error.
struct PrivateListener {
    Fd listener;
    Fd connection;
};
PrivateListener private_listener(const std::string& directory = "");

// A unix socket listening at `path` (a socket file a predecessor left there is replaced),
// blocking and close-on-exec: a spawned FastCGI application's fd 0 when other processes
// (hybrid's io workers) connect to it too. Throws std::system_error.
Fd listen_unix(const std::string& path);

// A new directory only its owner may enter (0700) in temp_directory(""), given to `uid`
// and `gid` when they are not -1 (the children's user, when the master runs as root): where
// the spawned applications' sockets are. Throws std::system_error.
std::string make_private_directory(uid_t uid, gid_t gid);
// Removes `directory` and the files in it (not recursive); errors are ignored.
void remove_private_directory(const std::string& directory);

}  // namespace forkd::os
