#!/usr/bin/python3
"""Answers JSON describing the request: method, meta-variables and the body read from stdin."""
import hashlib
import json
import os
import sys

length = int(os.environ.get("CONTENT_LENGTH") or 0)
body = sys.stdin.buffer.read(length) if length else b""
keys = ("REQUEST_METHOD", "QUERY_STRING", "SCRIPT_NAME", "PATH_INFO", "CONTENT_TYPE",
        "CONTENT_LENGTH", "SERVER_PROTOCOL", "GATEWAY_INTERFACE", "HTTP_X_TEST")
answer = {key: os.environ.get(key) for key in keys}
answer["body_size"] = len(body)
answer["body_sha256"] = hashlib.sha256(body).hexdigest()
answer["pid"] = os.getpid()
sys.stdout.write("Content-Type: application/json\r\nX-Script: echo.py\r\n\r\n")
sys.stdout.write(json.dumps(answer))
