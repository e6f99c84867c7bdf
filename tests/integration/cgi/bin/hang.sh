#!/bin/sh
# Starts grandchildren (one of them ignoring TERM, one in a subshell that exits at once so
# its child is orphaned inside the group), writes nothing and hangs. Every process keeps
# QUERY_STRING in its environment: the test finds them by it in /proc.
sleep 300 &
sleep 300 &
(sleep 300 &)
sh -c 'trap "" TERM; sleep 300; :' &
sleep 300
