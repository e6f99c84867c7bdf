/* W9a's CGI program: the least a CGI/1.1 response is (RFC 3875 §6: a Content-Type, an empty
 * line, the body), written in one write(2). The bench compiles it with gcc -O2 (dynamically
 * linked, as a CGI program usually is) into each run's cgi-bin/hello, for every server. */
#include <unistd.h>

static const char response[] = "Content-Type: text/plain\n\nhello\n";

int main(void) {
    return write(1, response, sizeof response - 1) == (ssize_t)(sizeof response - 1) ? 0 : 1;
}
