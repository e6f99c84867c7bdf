// Connecting to an upstream server (a FastCGI application): a unix socket or a numeric TCP
// address, within a deadline.
#pragma once

#include <chrono>
#include <string>

#include "base/fd.hpp"

namespace forkd::os {

// Connects to "unix:/run/php/php8.2-fpm.sock", "127.0.0.1:9000" or "[::1]:9000". The fd is
// non-blocking and close-on-exec; invalid with `error` set (an errno: ECONNREFUSED, ENOENT,
// ETIMEDOUT for the deadline, EINVAL for an address that is none of the three) otherwise.
Fd connect_stream(const std::string& address, std::chrono::steady_clock::time_point deadline,
                  int& error);

}  // namespace forkd::os
