"""deploy/ (docs/deployment.md): the files an operator installs beside forkd, checked against
forkd's own settings and the tools that read them.

- The systemd units and forkd.toml are what the package installs (cmake/install_deploy.cmake,
  run here into a scratch root), they are the only units in the repository, and
  docs/deployment.md shows them as they are.
- deploy/kubernetes/forkd.yaml (parsed; no Kubernetes schema validator is packaged in
  Debian 12): its ConfigMap is a configuration forkd accepts and serves the probes with, the
  probes ask its `health_path` on its `listen` port, and the grace period outlasts preStop +
  shutdown_delay + graceful_timeout.
- deploy/haproxy/forkd.cfg passes `haproxy -c`, checks the packaged `health_path`, and, run
  in front of two instances, takes one out while its `shutdown_delay` still serves.
"""
import os
import re
import signal
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import FORKD_BIN, wait_until
from haproxy_front import (DEPLOY, HAPROXY, HAPROXY_CFG, Haproxy, asked_shutdown_delay,
                           haproxy_seconds, keyword, sections, seconds)
from http_client import get

ROOT = Path(__file__).resolve().parents[2]


def listen_ports(config):
    """The TCP ports of a forkd configuration's `listen` entries."""
    entries = config["listen"] if isinstance(config["listen"], list) else [config["listen"]]
    return {int(entry.rsplit(":", 1)[1]) for entry in entries if not entry.startswith("unix:")}


# --- systemd units and forkd.toml: what the package installs --------------------------------

def test_the_package_installs_the_units_and_configuration_of_deploy(tmp_path):
    # What `cmake --install` and `make package` run for deploy/, with the package's prefix.
    root = tmp_path / "root"
    subprocess.run(["cmake", "-DCMAKE_INSTALL_PREFIX=/usr", f"-DFORKD_DEPLOY_DIR={DEPLOY}",
                    "-DFORKD_BINDIR=bin", f"-DFORKD_SCRATCH_DIR={tmp_path}",
                    "-P", str(ROOT / "cmake" / "install_deploy.cmake")],
                   check=True, capture_output=True, env={**os.environ, "DESTDIR": str(root)})
    units = sorted(path.name for path in DEPLOY.iterdir()
                   if path.suffix in (".service", ".socket"))
    assert units == ["forkd.service", "forkd.socket"]
    for unit in units:
        installed = root / "usr/lib/systemd/system" / unit
        assert installed.read_text() == (DEPLOY / unit).read_text(), unit
    assert (root / "etc/forkd/forkd.toml").read_text() == (DEPLOY / "forkd.toml").read_text()


def test_deploy_holds_the_only_systemd_units():
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*.service", "*.socket",
                             "*.timer", "*.path"], capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    units = [Path(name) for name in listed.stdout.split()]
    assert units and all(unit.parent == Path("deploy") for unit in units), units


@pytest.mark.parametrize("unit", ["forkd.socket", "forkd.service"])
def test_docs_show_the_units_as_deploy_holds_them(unit):
    docs = (ROOT / "docs" / "deployment.md").read_text()
    block = re.search(rf"```ini\n# deploy/{re.escape(unit)}\n(.*?)```", docs, re.DOTALL)
    assert block, f"docs/deployment.md shows no deploy/{unit}"
    lines = (DEPLOY / unit).read_text().splitlines(keepends=True)
    while lines and lines[0].startswith("#"):  # the opening comments, which the docs leave out
        lines.pop(0)
    assert block.group(1) == "".join(lines)


# --- Kubernetes ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def manifest():
    """{kind: object} of deploy/kubernetes/forkd.yaml, with the ConfigMap's forkd.toml parsed
    as "config" and the forkd container as "container"."""
    documents = [doc for doc in yaml.safe_load_all((DEPLOY / "kubernetes/forkd.yaml").read_text())
                 if doc]
    objects = {doc["kind"]: doc for doc in documents}
    assert sorted(objects) == ["ConfigMap", "Deployment", "Service"]
    assert len(documents) == 3
    for doc in documents:
        assert doc["apiVersion"] == {"Deployment": "apps/v1"}.get(doc["kind"], "v1")
        assert doc["metadata"]["name"] == "forkd"
    objects["toml"] = objects["ConfigMap"]["data"]["forkd.toml"]
    objects["config"] = tomllib.loads(objects["toml"])
    containers = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    objects["container"] = containers[0]
    return objects


def container_port(container, port):
    """A probe's or a Service's port, by number or by the container port's name."""
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    assert named, f"no container port named {port!r}"
    return named[0]


def test_the_configmap_is_a_configuration_forkd_accepts(manifest, tmp_path):
    path = tmp_path / "forkd.toml"
    path.write_text(manifest["toml"])
    checked = subprocess.run([FORKD_BIN, "-t", "-c", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The container runs forkd on that file, mounted from the ConfigMap.
    container, pod = manifest["container"], manifest["Deployment"]["spec"]["template"]["spec"]
    args = container.get("command", []) + container.get("args", [])
    assert Path(args[0]).name == "forkd"
    config_path = Path(args[args.index("-c") + 1])
    mount = next(m for m in container["volumeMounts"] if Path(m["mountPath"]) == config_path.parent)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == manifest["ConfigMap"]["metadata"]["name"]
    assert config_path.name in manifest["ConfigMap"]["data"]
    # It starts as a non-root user already, so no `user` to drop to.
    assert "user" not in manifest["config"]


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
def test_the_probes_ask_health_path_on_the_listen_port(manifest, probe):
    config, container = manifest["config"], manifest["container"]
    check = container[probe]["httpGet"]
    assert check["path"] == config["health_path"]
    assert listen_ports(config) == {container_port(container, check["port"])}


def test_the_service_sends_to_the_listen_port_of_the_pods(manifest):
    service, deployment = manifest["Service"]["spec"], manifest["Deployment"]["spec"]
    labels = deployment["template"]["metadata"]["labels"]
    assert deployment["selector"]["matchLabels"].items() <= labels.items()
    assert service["selector"].items() <= labels.items()
    ports = {container_port(manifest["container"], p["targetPort"]) for p in service["ports"]}
    assert ports == listen_ports(manifest["config"])


def prestop_seconds(container):
    """How long the container's preStop hook delays the SIGTERM: 0 without one, or its sleep."""
    hook = container.get("lifecycle", {}).get("preStop")
    if hook is None:
        return 0
    if "sleep" in hook:
        return hook["sleep"]["seconds"]
    command = hook["exec"]["command"]
    match = re.search(r"\bsleep\s+(\d+)", " ".join(command))
    assert match, f"a preStop that is not a sleep: {command}"
    return int(match.group(1))


def test_the_grace_period_outlasts_the_whole_stop(manifest):
    config, container = manifest["config"], manifest["container"]
    # Both set explicitly, so that the grace period is checked against what forkd does.
    stop = (prestop_seconds(container) + seconds(config["shutdown_delay"]) +
            seconds(config["graceful_timeout"]))
    grace = manifest["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > stop, f"SIGKILL after {grace}s, a graceful stop takes up to {stop}s"
    # The delay is what keeps a terminating pod serving while the endpoints drop it.
    assert seconds(config["shutdown_delay"]) >= 1


def test_forkd_with_the_configmap_answers_the_probes_and_drains(manifest, server):
    config = {key: value for key, value in manifest["config"].items() if key != "listen"}
    srv = server(**config)
    health = config["health_path"]
    response = get(srv.address, health)
    assert (response.status, response.body) == (200, b"ok\n")
    # SIGTERM, as the kubelet sends it: unready at once, serving on for shutdown_delay.
    srv.signal(signal.SIGTERM)
    wait_until(lambda: get(srv.address, health).status == 503, timeout=5,
               message="the probe path to answer 503")
    assert get(srv.address, "/").status == 200
    assert srv.proc.poll() is None


# --- haproxy -------------------------------------------------------------------------------

@pytest.fixture
def haproxy():
    if HAPROXY is None:
        pytest.skip("haproxy is not installed")
    return HAPROXY


def test_the_haproxy_config_is_valid(haproxy):
    checked = subprocess.run([haproxy, "-c", "-f", str(HAPROXY_CFG)], capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_haproxy_checks_the_packaged_health_path_and_retries(manifest):
    config = sections(HAPROXY_CFG.read_text())
    backend, defaults = config["backend forkd"], config["defaults"]
    path = keyword(backend, "option httpchk").split()[-1]
    assert path == tomllib.loads((DEPLOY / "forkd.toml").read_text())["health_path"]
    assert path == manifest["config"]["health_path"]
    assert keyword(backend, "http-check expect") == "http-check expect status 200"
    assert {"conn-failure", "empty-response"} <= set(keyword(defaults, "retry-on").split()[1:])
    assert "option redispatch" in defaults
    assert int(keyword(defaults, "retries").split()[1]) >= 1


def checks(lines):
    """(inter, fall) of the backend's `default-server` line, in seconds and checks."""
    words = keyword(lines, "default-server").split()
    assert "check" in words
    return haproxy_seconds(words[words.index("inter") + 1]), int(words[words.index("fall") + 1])


def test_the_shutdown_delay_it_asks_for_outlasts_its_checks():
    text = HAPROXY_CFG.read_text()
    inter, fall = checks(sections(text)["backend forkd"])
    assert seconds(asked_shutdown_delay(text)) > inter * fall


def test_haproxy_with_it_takes_a_stopping_instance_out_while_it_still_serves(haproxy, server,
                                                                             tmp_path):
    text = HAPROXY_CFG.read_text()
    delay = asked_shutdown_delay(text)
    health = keyword(sections(text)["backend forkd"], "option httpchk").split()[-1]
    a, b = (server(mode="hybrid", io_workers=1, workers=2, health_path=health,
                   shutdown_delay=delay) for _ in range(2))
    balancer = Haproxy(tmp_path, [a.address, b.address])
    try:
        wait_until(lambda: balancer.up() == {"s0": True, "s1": True}, timeout=15,
                   message="both instances up by their health checks")
        assert get(("127.0.0.1", balancer.port), "/").status == 200

        a.signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        wait_until(lambda: balancer.up().get("s0") is False, timeout=seconds(delay) + 5,
                   message="haproxy to take the stopping instance out")
        taken_out_after = time.monotonic() - stopped_at
        assert taken_out_after < seconds(delay), (
            f"out after {taken_out_after:.1f}s, but it stopped accepting at {delay}")
        assert a.proc.poll() is None
        assert balancer.up()["s1"] is True
        assert get(("127.0.0.1", balancer.port), "/").status == 200
    finally:
        balancer.stop()
