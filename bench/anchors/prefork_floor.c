#define _GNU_SOURCE
/* prefork-floor: the floor of W7 (a blocking request, keep-alive) for a prefork server.
 * WORKERS processes share the listening socket; each accepts one connection, and reads and
 * answers its requests with blocking calls until the client closes, as Apache prefork and
 * forkd's prefork mode do. It parses nothing (it counts request heads) and has no timeouts:
 * the system calls and wake-ups of serving from a blocking worker, and nothing else. The same
 * response as handoff_floor.c. Built with gcc -O2 by the bench.
 * Usage: prefork_floor PORT [WORKERS] (listens on 127.0.0.1). */
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            "Content-Length: 12\r\n\r\n\xe7\xb9\x81\xe5\xbf\x99\xe7\xad\x89\xe5\xbe\x85";

static void serve(int s) {
    static char in[16384];
    static const char end[] = "\r\n\r\n";
    for (;;) {
        int fd = accept(s, 0, 0);
        if (fd < 0) continue;
        size_t k = 0;
        for (;;) {
            ssize_t got = read(fd, in, sizeof in);
            if (got <= 0) break;
            for (ssize_t j = 0; j < got; ++j) {
                k = in[j] == end[k] ? k + 1 : (in[j] == '\r' ? 1 : 0);
                if (k == 4) {
                    write(fd, reply, sizeof reply - 1);
                    k = 0;
                }
            }
        }
        close(fd);
    }
}

int main(int argc, char **argv) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 9933));
    int workers = argc > 2 ? atoi(argv[2]) : 8;
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 511) != 0) return 1;
    for (int w = 1; w < workers; ++w) {
        if (fork() == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* the bench stops the first process only */
            serve(s);
        }
    }
    serve(s);
}
