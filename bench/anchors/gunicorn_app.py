"""The demo application as WSGI, for gunicorn: `this is server`, or, when the query
contains `sleep` (`?sleep=N`, default 2, at most 60), busy for N seconds first."""
import time
from urllib.parse import parse_qs

HELLO = b"this is server"
BUSY = "繁忙等待".encode()


def sleep_seconds(query):
    value = parse_qs(query, keep_blank_values=True).get("sleep", [""])[0]
    return max(0, min(int(value), 60)) if value.isdigit() else 2


def app(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    body = HELLO
    if "sleep" in query.lower():
        time.sleep(sleep_seconds(query))
        body = BUSY
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
