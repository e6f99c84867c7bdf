/* A static HTTP responder for tcpserver (ucspi-tcp): tcpserver accepts, forks and execs
 * this program with the connection on fds 0 and 1, so each connection costs a fork and an
 * exec. It answers one request like forkd's demo (`this is server`, or after a sleep for a
 * query containing `sleep`) and exits, which closes the connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SLEEP_DEFAULT = 2, SLEEP_MAX = 60 };

/* Reads until the end of the request head (or 4 KiB, or EOF): enough for a GET. */
static size_t read_head(char *buf, size_t size) {
    size_t len = 0;
    while (len < size - 1) {
        ssize_t n = read(0, buf + len, size - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n")) break;
    }
    buf[len] = '\0';
    return len;
}

/* Seconds to sleep when the query of the request line contains `sleep` (`sleep=N`), else -1. */
static int sleep_seconds(char *head) {
    char *eol = strstr(head, "\r\n");
    if (eol) *eol = '\0';
    char *query = strchr(head, '?');
    char *found = query ? strstr(query, "sleep") : NULL;
    if (!found) return -1;
    if (found[5] != '=') return SLEEP_DEFAULT;
    int n = atoi(found + 6);
    return n < 0 ? 0 : n > SLEEP_MAX ? SLEEP_MAX : n;
}

int main(void) {
    char head[4096];
    read_head(head, sizeof head);
    const char *body = "this is server";
    int secs = sleep_seconds(head);
    if (secs >= 0) {
        sleep((unsigned)secs);
        body = "\xe7\xb9\x81\xe5\xbf\x99\xe7\xad\x89\xe5\xbe\x85"; /* 繁忙等待 */
    }
    char out[512];
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(body), body);
    return write(1, out, (size_t)n) == n ? 0 : 1;
}
