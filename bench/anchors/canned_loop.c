#define _GNU_SOURCE
/* canned-loop: the ceiling of W1 (hello, keep-alive) for an event loop on this machine. One
 * thread, epoll, non-blocking accept; per readable connection it reads what is there, counts
 * the request heads in it ("\r\n\r\n", a head split across reads included) and writes one
 * fixed response per head in one write. It parses nothing, never closes a connection the
 * client keeps, and has no timeouts or limits: what a server costs beyond the system calls
 * every keep-alive server makes. The bench builds it with gcc -O2.
 * Usage: canned_loop PORT (listens on 127.0.0.1). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            "Content-Length: 14\r\n\r\nthis is server";
enum { MAX_FD = 65536, BATCH = 64 };
static unsigned char matched[MAX_FD]; /* how much of "\r\n\r\n" the last read ended with */

int main(int argc, char **argv) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 9933));
    int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 511) != 0) return 1;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s}, events[BATCH];
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    static char in[16384], out[sizeof reply * 256];
    for (;;) {
        int n = epoll_wait(ep, events, BATCH, -1);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == s) {
                int c;
                while ((c = accept4(s, 0, 0, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAX_FD) { close(c); continue; }
                    matched[c] = 0;
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t got = read(fd, in, sizeof in);
            if (got <= 0) { close(fd); continue; }
            static const char end[] = "\r\n\r\n";
            size_t heads = 0, k = matched[fd];
            for (ssize_t j = 0; j < got; ++j) {
                k = in[j] == end[k] ? k + 1 : (in[j] == '\r' ? 1 : 0);
                if (k == 4) { ++heads; k = 0; }
            }
            matched[fd] = (unsigned char)k;
            size_t len = 0;
            for (size_t h = 0; h < heads && len + sizeof reply - 1 <= sizeof out; ++h) {
                memcpy(out + len, reply, sizeof reply - 1);
                len += sizeof reply - 1;
            }
            if (len > 0) write(fd, out, len);
        }
    }
}
