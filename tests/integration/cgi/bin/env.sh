#!/bin/sh
# Prints its whole environment, one variable a line, sorted.
printf 'Content-Type: text/plain\r\n\r\n'
env | sort
