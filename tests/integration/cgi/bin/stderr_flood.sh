#!/bin/sh
# 100 MB on stderr in 64-byte lines, then a normal response.
yes 'stderr noise from a chatty script..............................' | head -c 100000000 >&2
printf 'Content-Type: text/plain\r\n\r\nafter the flood\n'
