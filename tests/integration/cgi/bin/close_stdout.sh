#!/bin/sh
# Answers, closes its stdout and keeps running.
printf 'Content-Type: text/plain\r\n\r\nanswered, still running\n'
exec >&-
sleep 300
