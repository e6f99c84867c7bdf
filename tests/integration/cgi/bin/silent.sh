#!/bin/sh
# A head and a first line, then nothing more, for ever: cgi_idle_timeout cuts it off.
printf 'Content-Type: text/plain\r\n\r\nfirst line\n'
exec sleep 300
