// Sockets: listening, accepting and the few socket options forkd uses.
//
// Every fd made here is close-on-exec; accepted sockets are non-blocking (the blocking
// session waits with poll and deadlines, the event loops never block). Startup failures throw
// std::runtime_error with one line naming the address ("127.0.0.1:9933: address already in
// use").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/fd.hpp"

namespace forkd::os {

// A TCP listener on a numeric IPv4 or IPv6 host (port 0: the kernel picks one). With
// `reuse_port`, SO_REUSEPORT: other sockets of the same user that set it too may bind the
// same address, and the kernel spreads new connections across them (each has its own queue).
Fd listen_tcp(const std::string& host, uint16_t port, int backlog, const std::string& name,
              bool reuse_port);
// For a listener with SO_REUSEPORT: when it closes (a stopping server), the kernel moves the
// connections still in its accept queue, and the handshakes under way, to another socket of
// the port's group instead of resetting them (Linux 5.14+). net.ipv4.tcp_migrate_req = 1 does
// it for every group; otherwise a one-instruction eBPF program is attached to the group
// (BPF_PROG_TYPE_SK_REUSEPORT, attach type SELECT_OR_MIGRATE), which leaves the choice of
// socket to the kernel's hash as before and replaces any program the group had; loading it
// takes CAP_BPF or CAP_SYS_ADMIN (root). Returns "" when migration is on, else why it is not.
std::string migrate_queue_on_close(int listener);
// A unix-socket listener; a stale socket file left by a dead server is replaced, a live one
// is "address already in use".
Fd listen_unix(const std::string& path, int backlog, const std::string& name);

// "127.0.0.1:9933", "[::1]:8080" or "unix:/run/forkd.sock": what the socket is bound to.
std::string local_address(int fd);
// Whether SO_REUSEPORT is set on a socket (never on a unix socket).
bool reuses_port(int fd);

struct Accepted {
    Fd fd;
    std::string peer;  // "127.0.0.1:51234", "[::1]:40000" or "unix"
};

// Accepts one pending connection, or nothing when none is pending (EAGAIN) or the client
// gave up before we got to it. Resource exhaustion (EMFILE, ENFILE, ENOBUFS, ENOMEM) is
// logged (once a second at most), reported as nothing, and flagged in `out_of_resources`:
// an event loop should then stop watching the listener for a while instead of spinning.
std::optional<Accepted> accept_connection(int listener, bool* out_of_resources = nullptr);

void set_nonblocking(int fd, bool on);
// TCP options set once on a listener, which every connection accepted from it inherits (a
// system call per connection saved): TCP_NODELAY, and TCP_NOTSENT_LOWAT = kNotSentLowat.
// Does nothing to a unix socket.
void tune_tcp_listener(int listener);
// A large response queued whole in the socket (one sendfile of 1 MiB) is transmitted as
// the client's ACKs open the window, that is in the softirq of whichever CPU receives the
// ACKs: on loopback, the client's. Keeping little unsent data queued makes the server send
// it itself, as it writes, and lets the client's CPU read (make bench, W3 1 MiB).
inline constexpr int kNotSentLowat = 64 * 1024;
// Stops sending (FIN) while still reading: the first half of a lingering close.
void shutdown_write(int fd);
// Takes a listening socket out of the listening state for every process that shares it
// (shutdown(SHUT_RD) on a listener, Linux behaviour for TCP and unix sockets): new
// connections are refused and those still queued are reset.
void stop_listening(int listener);
// Bytes received and not yet read (FIONREAD).
std::size_t pending_input(int fd);

}  // namespace forkd::os
