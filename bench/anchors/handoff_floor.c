#define _GNU_SOURCE
/* handoff-floor: the floor of W7 (a blocking request, keep-alive) for forkd's hybrid design.
 * One front process (epoll, non-blocking accept) and WORKERS worker processes, each with its
 * own socketpair to the front. The front reads a request head, and hands the connection to
 * an idle worker with SCM_RIGHTS (or queues it until one is idle); the worker writes a fixed
 * response, tells the front it is done, and closes its copy of the fd; the front then waits
 * for the connection's next request. What forkd's hybrid mode adds to this is its HTTP
 * parsing, routing, deadlines, logging and the guarantees (queue deadline, 502/504): what
 * is left here is the system calls and the wake-ups of the hand-off itself. It parses
 * nothing, never closes a connection the client keeps, and has no limits. Built with
 * gcc -O2 by the bench. Usage: handoff_floor PORT [WORKERS] (listens on 127.0.0.1). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The same body as forkd's demo answer to ?sleep=0 (繁忙等待, 12 bytes). */
static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            "Content-Length: 12\r\n\r\n\xe7\xb9\x81\xe5\xbf\x99\xe7\xad\x89\xe5\xbe\x85";
enum { MAX_FD = 65536, BATCH = 64, MAX_WORKERS = 64, LINK_BASE = 1 << 20 };

static void send_fd(int link, int fd) {
    char control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = &fd, .iov_len = sizeof fd}; /* the front's number */
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof control};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    sendmsg(link, &msg, 0);
}

/* A worker: take a connection, answer, report done (the front's number for it), close. */
static void work(int link) {
    for (;;) {
        int front_fd, fd;
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {.iov_base = &front_fd, .iov_len = sizeof front_fd};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof control};
        if (recvmsg(link, &msg, 0) <= 0) _exit(0);
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof fd);
        write(fd, reply, sizeof reply - 1);
        send(link, &front_fd, sizeof front_fd, 0);
        close(fd);
    }
}

static int links[MAX_WORKERS], idle[MAX_WORKERS], nworkers;
static unsigned char handed[MAX_FD], pending[MAX_FD], matched[MAX_FD];
static int queue[MAX_FD], qhead, qtail;

static void dispatch(int fd) {
    for (int w = 0; w < nworkers; ++w) {
        if (!idle[w]) continue;
        idle[w] = 0;
        handed[fd] = 1;
        send_fd(links[w], fd);
        return;
    }
    handed[fd] = 1; /* waits for a worker */
    queue[qtail++ % MAX_FD] = fd;
}

/* Reads what the client sent; hands the connection off at the end of a head. */
static void read_client(int fd) {
    static char in[16384];
    ssize_t got = read(fd, in, sizeof in);
    if (got <= 0) {
        close(fd);
        return;
    }
    static const char end[] = "\r\n\r\n";
    size_t k = matched[fd];
    int heads = 0;
    for (ssize_t j = 0; j < got; ++j) {
        k = in[j] == end[k] ? k + 1 : (in[j] == '\r' ? 1 : 0);
        if (k == 4) {
            ++heads;
            k = 0;
        }
    }
    matched[fd] = (unsigned char)k;
    if (heads > 0) dispatch(fd);
}

int main(int argc, char **argv) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    a.sin_port = htons((unsigned short)(argc > 1 ? atoi(argv[1]) : 9933));
    nworkers = argc > 2 ? atoi(argv[2]) : 8;
    if (nworkers < 1 || nworkers > MAX_WORKERS) return 2;
    int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 511) != 0) return 1;
    for (int w = 0; w < nworkers; ++w) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair) != 0) return 1;
        if (fork() == 0) {
            close(s);
            close(pair[0]);
            work(pair[1]);
        }
        close(pair[1]);
        links[w] = pair[0];
        idle[w] = 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (unsigned)s}, events[BATCH];
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    for (int w = 0; w < nworkers; ++w) {
        struct epoll_event le = {.events = EPOLLIN, .data.u64 = LINK_BASE + w};
        epoll_ctl(ep, EPOLL_CTL_ADD, links[w], &le);
    }
    for (;;) {
        int n = epoll_wait(ep, events, BATCH, -1);
        for (int i = 0; i < n; ++i) {
            unsigned long long tag = events[i].data.u64;
            if (tag == (unsigned)s) {
                int c;
                while ((c = accept4(s, 0, 0, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAX_FD) {
                        close(c);
                        continue;
                    }
                    matched[c] = handed[c] = pending[c] = 0;
                    /* Edge-triggered: data that arrives while a worker has the connection
                     * is read once the worker is done (pending), without spinning. */
                    struct epoll_event ce = {.events = EPOLLIN | EPOLLET, .data.u64 = (unsigned)c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
            } else if (tag >= LINK_BASE) {
                int w = (int)(tag - LINK_BASE), fd;
                if (recv(links[w], &fd, sizeof fd, 0) != sizeof fd) return 1;
                handed[fd] = 0;
                if (qhead != qtail) {
                    int next = queue[qhead++ % MAX_FD];
                    handed[next] = 1;
                    send_fd(links[w], next);
                } else {
                    idle[w] = 1;
                }
                if (pending[fd]) {
                    pending[fd] = 0;
                    read_client(fd);
                }
            } else if (handed[tag]) {
                pending[tag] = 1;
            } else {
                read_client((int)tag);
            }
        }
    }
}
