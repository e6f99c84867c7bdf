"""The command line and the config file as an operator meets them: `forkd -t`, error
messages that point at the key and the line, flags that override the file, and one clear
line when the address is taken."""
import socket
import subprocess

import pytest

from conftest import FORKD_BIN
from http_client import get

BUSY_BODY = "繁忙等待".encode("utf-8")


def forkd(*args, timeout=10):
    return subprocess.run([FORKD_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def config_file(tmp_path):
    """Writes `text` to forkd.toml in a fresh directory and returns its path."""
    def write(text):
        path = tmp_path / "forkd.toml"
        path.write_text(text)
        return str(path)
    return write


@pytest.fixture
def taken_address():
    """An address some other program already listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_check_of_a_good_config_exits_0(config_file):
    path = config_file('mode = "single"\nlisten = ["127.0.0.1:0"]\nkeepalive_timeout = "250ms"\n'
                       '\n[demo]\nsleep_seconds = 3\n')
    result = forkd("-t", "-c", path)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_check_without_a_file_checks_the_defaults_and_flags():
    assert forkd("-t", "--mode", "prefork", "--workers", "3").returncode == 0


def test_bad_value_names_the_key_and_the_line(config_file):
    path = config_file('mode = "single"\n\nclient_header_timeout = "soon"\n')
    result = forkd("-t", "-c", path)
    assert result.returncode != 0
    assert "forkd.toml:3" in result.stderr
    assert "client_header_timeout" in result.stderr
    assert '"soon"' in result.stderr


def test_wrong_type_names_the_key_and_the_line(config_file):
    path = config_file('backlog = "many"\n')
    result = forkd("-t", "-c", path)
    assert result.returncode != 0
    assert "forkd.toml:1" in result.stderr and "backlog" in result.stderr


@pytest.mark.parametrize("text, named", [
    ('mode = "single"\nworkerz = 3\n', "workerz"),
    ('[demo]\nsleep_secondz = 3\n', "sleep_secondz"),
])
def test_unknown_key_is_named_with_its_line(config_file, text, named):
    result = forkd("-t", "-c", config_file(text))
    assert result.returncode != 0
    assert named in result.stderr and "forkd.toml:2" in result.stderr


def test_bad_flag_value_names_the_flag():
    result = forkd("-t", "--client-header-timeout", "soon")
    assert result.returncode != 0
    assert "--client-header-timeout" in result.stderr


def test_unknown_flag_is_named():
    result = forkd("-t", "--no-such-flag")
    assert result.returncode != 0
    assert "--no-such-flag" in result.stderr


def test_missing_config_file_is_an_error_naming_it(tmp_path):
    missing = str(tmp_path / "absent.toml")
    result = forkd("-t", "-c", missing)
    assert result.returncode != 0
    assert missing in result.stderr


def test_help_lists_the_flags_and_exits_0():
    result = forkd("--help")
    assert result.returncode == 0
    for flag in ("--config", "--test-config", "--mode", "--listen", "--client-header-timeout",
                 "--demo-sleep-seconds", "--demo-max-sleep-seconds"):
        assert flag in result.stdout


def test_listen_flag_replaces_the_files_list(server, taken_address):
    # The file's address is taken: starting at all proves the flag replaced it.
    srv = server(mode="single", listen=[taken_address], args=("--listen", "127.0.0.1:0"))
    assert get(srv.address, "/").body == b"this is server"


def test_table_key_flag_overrides_the_file(server):
    srv = server(mode="single", demo__sleep_seconds=30, args=("--demo-sleep-seconds", "0"))
    assert get(srv.address, "/?sleep", timeout=5).body == BUSY_BODY


def test_mode_flag_overrides_the_file(server):
    srv = server(mode="fork", args=("--mode", "single"))
    assert "serving in single mode" in srv.log()


def test_address_in_use_is_one_line_naming_it_and_a_failure(config_file, taken_address):
    path = config_file(f'mode = "single"\nlisten = ["{taken_address}"]\n')
    result = forkd("-c", path)
    assert result.returncode != 0
    naming = [line for line in result.stderr.splitlines() if taken_address in line]
    assert len(naming) == 1
    assert "in use" in naming[0]


def test_check_refuses_a_status_allow_entry_that_is_no_address(tmp_path):
    config = tmp_path / "forkd.toml"
    config.write_text('status_allow = ["not-an-address"]\n')
    result = subprocess.run([FORKD_BIN, "-t", "-c", str(config)], capture_output=True, text=True,
                            timeout=10)
    assert result.returncode != 0
    assert "status_allow" in result.stderr
    assert "not-an-address" in result.stderr
