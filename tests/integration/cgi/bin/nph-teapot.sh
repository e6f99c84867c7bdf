#!/bin/sh
# An NPH script: its own status line.
printf 'HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nX-Nph: yes\r\n\r\nnph body\n'
