#!/bin/sh
# A header block whose line is no header.
printf 'this is not a header line\r\n\r\nbody\n'
