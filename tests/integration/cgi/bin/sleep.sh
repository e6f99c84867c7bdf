#!/bin/sh
# Never writes anything: the server answers 504 at cgi_timeout.
exec sleep 300
