#!/bin/sh
# W9b's CGI program: W9a's response from a shell script (Debian's /bin/sh is dash; echo is
# a builtin, so the exec of /bin/sh is the only one). Copied into each run's cgi-bin/hello.sh.
echo "Content-Type: text/plain"
echo
echo hello
