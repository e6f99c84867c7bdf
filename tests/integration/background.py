"""Clients that run on threads while a test does something else, and the process facts
the process-model tests wait for (which child is busy with what)."""
import threading
from concurrent.futures import Future

from conftest import process_state, process_title, wait_until


def in_background(function, *args, **kwargs):
    """Runs function(*args, **kwargs) on a daemon thread; returns a Future of its result."""
    future = Future()

    def run():
        try:
            future.set_result(function(*args, **kwargs))
        except BaseException as error:  # the test sees it through future.result()
            future.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return future


def titles_of(pids):
    """{pid: title} of the processes in `pids` that still exist."""
    titles = {pid: process_title(pid) for pid in pids}
    return {pid: title for pid, title in titles.items() if title is not None}


def wait_for_busy_child(srv, target, timeout=10.0):
    """Waits until one of srv's children has started serving `target`; returns its pid."""

    def busy_child():
        for pid, title in titles_of(srv.children()).items():
            if title.endswith(f" busy GET {target}"):
                return pid
        return None

    return wait_until(busy_child, timeout=timeout, message=f"a child busy with {target}")


def is_gone(pid):
    """True when `pid` no longer runs: no such process, or a zombie left for its reaper."""
    return process_state(pid) in (None, "Z")
