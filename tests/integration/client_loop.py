"""A steady client load for the process-manager tests: a few threads that send `GET /` on
new connections, one after another, and count what succeeded and what failed.

Reloads, upgrades and recycling must lose nothing: the tests run one of these across the
event and assert that `failures` is empty. The load is bounded (a few threads, a short pause
between requests) so that two test files can run at once on a small machine.
"""
import threading
import time

from http_client import get

EXPECTED_BODY = b"this is server"


class ClientLoop:
    """`threads` clients in a loop against `address`; stop() ends them and returns self."""

    def __init__(self, address, threads=2, target="/", pause=0.005, expected_body=EXPECTED_BODY):
        self.address = address
        self.target = target
        self.pause = pause
        self.expected_body = expected_body
        self.successes = 0
        self.failures = []  # (exception or unexpected response) per failed request
        self.server_headers = set()  # every `Server` header seen, to tell configurations apart
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _run(self):
        while not self._stopping.is_set():
            try:
                response = get(self.address, self.target, timeout=30)
                ok = response.status == 200 and response.body == self.expected_body
                outcome = None if ok else response
            except Exception as error:  # a reset, a refused or closed connection
                response, outcome = None, error
            with self._lock:
                if outcome is None:
                    self.successes += 1
                    self.server_headers.add(response.header("Server"))
                else:
                    self.failures.append(outcome)
            # The pause keeps the load bounded; stop() ends it at once.
            self._stopping.wait(self.pause)

    def served_at_least(self, count):
        """A wait_until condition: `count` more successes than when it was made."""
        target = self.successes + count
        return lambda: self.successes >= target

    def stop(self):
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=60)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
