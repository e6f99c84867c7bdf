"""The Prometheus metrics page (metrics_path) on the real binary, read with the Prometheus
Python client's own text parser: counters match the requests the test made, by route kind
(inline, blocking, static files, CGI) and status class; they survive a worker's recycling
(max_requests), a crash and a reload (SIGHUP); and status_allow applies to it exactly as
to the status page."""
import signal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import wait_until
from http_client import get, request

BODY = "/__forkd_test/body"  # a blocking route (an app worker answers it in hybrid mode)
CRASH = "/__forkd_test/crash"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CGI_BIN = Path(__file__).resolve().parent / "cgi" / "bin"  # test_cgi's shell programs


def start(server, mode, **settings):
    settings.setdefault("workers", 2)
    if mode == "hybrid":
        settings.setdefault("io_workers", 1)
    srv = server(mode=mode, metrics_path="/metrics", status_path="/status", test_routes=True,
                 pm="static", **settings)
    wait_until(lambda: "master started" in srv.log(), message="the master's loop")
    return srv


def scrape(srv, headers=None):
    """{(sample name, ((label, value), ...)): value} of one fetch of the metrics page.
    Counts the fetches in srv.scrapes: each is an inline request, counted once answered."""
    srv.scrapes = getattr(srv, "scrapes", 0) + 1
    response = get(srv.address, "/metrics", headers=headers)
    assert response.status == 200, response
    assert response.header("Content-Type") == CONTENT_TYPE
    samples = {}
    for family in text_string_to_metric_families(response.body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def settle(srv, expect, timeout=10):
    """The first scrape for which expect(samples, earlier scrapes) holds. A request is counted
    after its response is sent, by the process that sent it: a scrape made right after a
    response (by another worker, or another process) may come a moment before its count."""
    def attempt():
        samples = scrape(srv)
        return samples if expect(samples, srv.scrapes - 1) else None
    return wait_until(attempt, timeout=timeout, message="the expected counts")


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def requests_of(samples, kind, status_class):
    return value(samples, "forkd_http_requests_total", kind=kind, status_class=status_class)


def post_body(srv, data=b"hello"):
    raw = (f"POST {BODY} HTTP/1.1\r\nHost: test\r\nContent-Length: {len(data)}\r\n"
           "Connection: close\r\n\r\n").encode() + data
    response = request(srv.address, raw)
    assert response.status == 200, response
    return response


def exits(srv, role, cause):
    return value(scrape(srv), "forkd_process_exits_total", role=role, cause=cause)


@pytest.mark.parametrize("mode", ["hybrid", "prefork", "fork"])
def test_counters_match_the_requests_made(server, mode):
    srv = start(server, mode)
    for _ in range(3):
        assert get(srv.address, "/").status == 200
    for _ in range(2):
        assert get(srv.address, "/nothing-here").status == 404
    for _ in range(2):
        post_body(srv)

    # The scrapes are inline requests too, each counted once it is answered.
    # A response's counters are separate atomics: a scrape served by another process (prefork)
    # may fall between an earlier scrape's request count and its duration, so both settle.
    def durations(samples, kind):
        return (value(samples, "forkd_http_request_duration_seconds_count", kind=kind),
                value(samples, "forkd_http_request_duration_seconds_bucket", kind=kind,
                      le="+Inf"))
    # A worker is live on the page once its child has taken its scoreboard slot, which on a
    # busy machine may come after the first requests were served by the other one.
    def live_workers(samples):
        return sum(v for (name, labels), v in samples.items()
                   if name == "forkd_processes" and ("role", "worker") in labels)
    samples = settle(srv, lambda samples, scrapes: (
        (mode == "fork" or live_workers(samples) == 2) and
        requests_of(samples, "inline", "2xx") == 3 + scrapes
        and requests_of(samples, "none", "4xx") == 2
        and requests_of(samples, "blocking", "2xx") == 2
        and durations(samples, "inline") == (3 + scrapes, 3 + scrapes)
        and durations(samples, "blocking") == (2, 2)))
    assert requests_of(samples, "static", "2xx") == 0
    assert value(samples, "forkd_http_response_body_bytes_total") >= 3 * len("this is server")
    # One connection per request, and one per scrape (this one's included: it was accepted).
    assert value(samples, "forkd_connections_accepted_total") == 7 + srv.scrapes
    assert value(samples, "forkd_config_generation") == 0
    if mode == "hybrid":
        assert value(samples, "forkd_queue_wait_seconds_count") == 2
        assert value(samples, "forkd_process_spawns_total", role="io") == 1
    if mode != "fork":
        assert live_workers(samples) == 2
        assert value(samples, "forkd_process_spawns_total", role="worker") == 2
        assert value(samples, "forkd_process_pss_bytes", role="worker") >= 0
    else:
        # Each connection had its child; the scrape's own is still running.
        wait_until(lambda: exits(srv, "connection", "connection_closed") >= 7,
                   message="the connection children to be counted")


@pytest.mark.parametrize("mode", ["hybrid", "prefork"])
def test_counts_survive_workers_recycled_by_max_requests(server, mode):
    srv = start(server, mode, workers=1, max_requests=2)
    for _ in range(6):
        post_body(srv)
    samples = settle(srv, lambda samples, _: (
        value(samples, "forkd_process_exits_total", role="worker", cause="max_requests") >= 2
        and requests_of(samples, "blocking", "2xx") == 6), timeout=20)
    assert value(samples, "forkd_process_spawns_total", role="worker") >= 3
    assert value(samples, "forkd_process_exits_total", role="worker", cause="crash") == 0


def test_a_crash_counts_its_502_and_the_exit(server):
    srv = start(server, "hybrid", workers=1)
    assert get(srv.address, CRASH, timeout=30).status == 502
    # The crash is no crash loop's first (the worker had served nothing), so its
    # replacement comes after a short back-off.
    samples = settle(srv, lambda samples, _: (
        value(samples, "forkd_process_exits_total", role="worker", cause="crash") == 1
        and value(samples, "forkd_process_spawns_total", role="worker") == 2
        and requests_of(samples, "blocking", "5xx") == 1))


@pytest.mark.parametrize("mode", ["hybrid", "prefork"])
def test_counts_survive_a_reload(server, mode):
    srv = start(server, mode)
    for _ in range(3):
        assert get(srv.address, "/").status == 200
    post_body(srv)

    srv.signal(signal.SIGHUP)
    wait_until(lambda: value(scrape(srv), "forkd_config_generation") == 1, timeout=20,
               message="the new generation")
    role = "io" if mode == "hybrid" else "worker"
    wait_until(lambda: exits(srv, role, "retired") >= 1, timeout=20,
               message="the old generation to leave")
    post_body(srv)

    # The three requests to / and every earlier scrape, across both generations.
    samples = settle(srv, lambda samples, scrapes: (
        requests_of(samples, "blocking", "2xx") == 2
        and requests_of(samples, "inline", "2xx") == 3 + scrapes))
    assert value(samples, "forkd_reloads_total", result="success") == 1
    assert value(samples, "forkd_reloads_total", result="failure") == 0


@pytest.mark.parametrize("allow", [[], ["127.0.0.1"]])
def test_status_allow_decides_as_for_the_status_page(server, allow):
    srv = start(server, "hybrid", status_allow=allow)
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    for headers in (None, proxied):
        metrics = get(srv.address, "/metrics", headers=headers).status
        status = get(srv.address, "/status?json", headers=headers).status
        assert metrics == status, headers
    # A request a local proxy made for a remote client is not local; an explicit entry is
    # trusted whatever the headers say.
    refused = get(srv.address, "/metrics", headers=proxied)
    assert refused.status == (200 if allow else 403)
    if not allow:
        assert b"forkd_" not in refused.body


def test_static_files_and_cgi_programs_are_their_own_kinds(server, tmp_path):
    (tmp_path / "hello.txt").write_text("hello\n")
    srv = start(server, "hybrid", root=str(tmp_path), cgi=[f"/cgi-bin/={CGI_BIN}"])
    assert get(srv.address, "/hello.txt").status == 200
    assert get(srv.address, "/missing.txt").status == 404
    assert get(srv.address, "/cgi-bin/args.sh").status == 200
    assert get(srv.address, "/cgi-bin/no-such-program").status == 404

    # Each is counted after its response is sent: wait for the last one too.
    samples = settle(srv, lambda samples, _: requests_of(samples, "cgi", "2xx") == 1 and
                     requests_of(samples, "cgi", "4xx") == 1)
    assert requests_of(samples, "static", "2xx") == 1
    assert requests_of(samples, "static", "4xx") == 1
    assert requests_of(samples, "cgi", "4xx") == 1
    assert requests_of(samples, "blocking", "2xx") == 0
