/* fork-floor: the least a fork-per-connection server can do. Accepts, forks, and the child
 * reads the request head, writes one fixed HTTP/1.0 response and _exit()s; SIGCHLD is
 * ignored, so the kernel reaps. No exec, no parsing, no limits: the physical floor of fork
 * per connection on this machine. The bench builds it with gcc -O2 -static.
 * Usage: fork_floor PORT (listens on 127.0.0.1). */
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            "Content-Length: 14\r\n\r\nthis is server";

int main(int argc, char **argv) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 9933));
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 511) != 0) return 1;
    signal(SIGCHLD, SIG_IGN);
    for (;;) {
        int c = accept(s, 0, 0);
        if (c < 0) continue;
        if (fork() == 0) {
            char buf[4096];
            size_t got = 0;
            ssize_t n;  /* until the end of the head: ab sends it in one write */
            while (got < sizeof buf - 1 && (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
                buf[got += (size_t)n] = '\0';
                if (strstr(buf, "\r\n\r\n")) break;
            }
            write(c, reply, sizeof reply - 1);
            _exit(0);
        }
        close(c);
    }
}
