#!/bin/sh
# Leaves a "daemon" behind that still holds stdout and stderr, and exits.
printf 'Content-Type: text/plain\r\n\r\nstarted a daemon\n'
sleep 300 &
exit 0
