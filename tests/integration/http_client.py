"""A tiny raw HTTP/1.1 client for tests: exact bytes out, parsed responses back.

http.client and curl normalise what they send; abuse tests need to send exactly the bytes
they mean, and to see exactly what came back (and whether the server closed).
"""
import socket
import time


class Response:
    def __init__(self, status, reason, headers, body, version):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body
        self.version = version

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:80]!r}>"


class Connection:
    """One client connection that reads responses one at a time."""

    def __init__(self, address, timeout=10.0):
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer += chunk

    def _read_until(self, marker):
        while marker not in self.buffer:
            self._fill()
        index = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:index], self.buffer[index:]
        return data

    def _read_exactly(self, n):
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_response(self, head_only=False):
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name, value.strip()))
        response = Response(int(status), reason[0] if reason else "", headers, b"", version)
        if head_only or response.status in (204, 304) or 100 <= response.status < 200:
            return response
        length = response.header("Content-Length")
        if response.header("Transfer-Encoding") == "chunked":
            response.body = self._read_chunked()
        elif length is not None:
            response.body = self._read_exactly(int(length))
        else:
            response.body = self.read_to_close()
        return response

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self._read_until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                self._read_until(b"\r\n")
                return body
            body += self._read_exactly(size)
            self._read_exactly(2)

    def read_to_close(self):
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer, b""
        return data

    def is_closed_by_server(self, timeout=5.0):
        """True once the server has closed (EOF or reset) within `timeout`, with no more data."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        if chunk:
            self.buffer += chunk
            return False
        return True

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def request(address, raw, timeout=10.0, head_only=False):
    """Sends `raw` on a new connection and returns the first response."""
    with Connection(address, timeout) as conn:
        conn.send(raw)
        return conn.read_response(head_only=head_only)


def get(address, target="/", headers=None, timeout=15.0):
    lines = [f"GET {target} HTTP/1.1", "Host: test"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    raw = ("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode()
    return request(address, raw, timeout)


def timed_get(address, target="/", timeout=30.0):
    start = time.monotonic()
    response = get(address, target, timeout=timeout)
    return response, time.monotonic() - start
