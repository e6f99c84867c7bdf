#!/bin/sh
# A local redirect (RFC 3875 6.2.2): Location with a path and nothing else.
printf 'Location: /cgi-bin/env.sh/redirected?from=local\r\n\r\n'
