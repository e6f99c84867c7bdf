#!/bin/sh
# Output that never ends: a line every tenth of a second (never idle), until cgi_timeout.
printf 'Content-Type: text/plain\r\n\r\n'
n=0
while :; do
    n=$((n + 1))
    echo "line $n"
    sleep 0.1
done
