#!/bin/sh
# Its command-line arguments: none, whatever the query says (no argv from QUERY_STRING).
printf 'Content-Type: text/plain\r\n\r\n'
echo "argc=$#"
for arg in "$@"; do echo "arg=$arg"; done
