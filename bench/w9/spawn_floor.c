/* W9's fork+exec floor: what running a CGI program costs this machine before any server
 * work. N times: pipe, vfork, in the child dup2 the pipe to stdout and execve PROGRAM (no
 * arguments, a two-variable environment), in the parent read its output to EOF and waitpid.
 * No server, no sockets, no setsid, no rlimits: the least any CGI server does per request.
 * Prints one line: "spawns=N wall_us=W cpu_us=C" (per spawn: elapsed, and user+system CPU
 * of this process and its children). The bench builds it with gcc -O2 and runs it pinned to
 * the server CPU.
 * Usage: spawn_floor PROGRAM N [MAX_SECONDS] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double s = 0;
    const struct rusage *both[] = {&self, &kids};
    for (int i = 0; i < 2; ++i)
        s += (double)both[i]->ru_utime.tv_sec + (double)both[i]->ru_utime.tv_usec / 1e6 +
             (double)both[i]->ru_stime.tv_sec + (double)both[i]->ru_stime.tv_usec / 1e6;
    return s;
}

/* One run of `program`: 0 when it wrote something containing "hello" and exited 0. */
static int spawn(const char *program) {
    static char *const envp[] = {"PATH=/usr/bin:/bin", "GATEWAY_INTERFACE=CGI/1.1", NULL};
    char *const argv[] = {(char *)program, NULL};
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = vfork();
    if (pid == 0) {
        dup2(fds[1], 1); /* dup2 clears O_CLOEXEC on the copy */
        execve(program, argv, envp);
        _exit(127);
    }
    close(fds[1]);
    char buf[256];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
        if ((got += (size_t)n) == sizeof buf - 1) break;
    buf[got] = '\0';
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && strstr(buf, "hello") ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PROGRAM N [MAX_SECONDS]\n", argv[0]);
        return 2;
    }
    const char *program = argv[1];
    long count = atol(argv[2]);
    double most = argc > 3 ? atof(argv[3]) : 30.0;
    for (int i = 0; i < 20; ++i) /* warm the page cache and the loader */
        if (spawn(program) != 0) {
            fprintf(stderr, "%s: no hello\n", program);
            return 1;
        }
    double wall0 = now(), cpu0 = cpu();
    long done = 0;
    while (done < count && now() - wall0 < most) {
        if (spawn(program) != 0) {
            fprintf(stderr, "%s: no hello\n", program);
            return 1;
        }
        ++done;
    }
    double wall = now() - wall0, used = cpu() - cpu0;
    printf("spawns=%ld wall_us=%.1f cpu_us=%.1f\n", done, wall / done * 1e6, used / done * 1e6);
    return 0;
}
