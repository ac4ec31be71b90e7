"""The localstack/ scripts around a running server (skipped when testing someone else's endpoint)."""

import json
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

import boto3
import pytest
from support import ENDPOINT

SCRIPTS = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    ENDPOINT != f"http://127.0.0.1:{os.environ.get('LOCALSTACK_PORT', '4566')}",
    reason="LOCALSTACK_ENDPOINT is not the server localstack/start manages",
)


def run(script: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SCRIPTS / script],
        check=False,
        cwd="/",
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_while_running_says_so():
    started = run("start")
    assert started.returncode == 0, started.stderr
    assert "already running" in started.stderr
    status = run("status")
    assert status.returncode == 0 and "is running" in status.stdout


def test_reset_script_empties_one_account(aws, account):
    aws("sns").create_topic(Name="reset-me")
    reset = subprocess.run(
        [SCRIPTS / "reset", "--account", account], check=False, capture_output=True, text=True, timeout=60
    )
    assert reset.returncode == 0 and f"emptied account {account}" in reset.stderr, reset.stderr
    assert aws("sns").list_topics()["Topics"] == []


def test_reset_script_refuses_a_bad_account():
    reset = subprocess.run([SCRIPTS / "reset", "--account", "42"], check=False, capture_output=True, text=True)
    assert reset.returncode == 1 and "12 digits" in reset.stderr


def test_start_refuses_a_port_held_by_another_process(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        env = {"LOCALSTACK_PORT": str(other.getsockname()[1]), "LOCALSTACK_DATA_DIR": str(tmp_path)}
        started = run("start", **env)
        assert started.returncode == 1
        assert "is taken by a process this script did not start" in started.stderr
        assert run("status", **env).returncode == 1
        stopped = run("stop", **env)
        assert stopped.returncode == 0 and "not running" in stopped.stderr


def _sns(port: int, account: str):
    return boto3.client(
        "sns",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-2",
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )


def test_second_server_on_its_own_port_and_data_folder(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "LOCALSTACK_PORT": str(port),
        "LOCALSTACK_DATA_DIR": str(tmp_path),
        "PROVISION_EB_STATUS_DELAY": "2.5",
    }
    started = run("start", **env)
    assert started.returncode == 0, started.stderr
    pid = int((tmp_path / "localstack.pid").read_text())
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_provision/config", timeout=5) as response:
            assert json.load(response)["eb_status_delay"] == 2.5
        # The whole-server reset, tested here on a server of its own, never on a shared one.
        clients = [_sns(port, account) for account in ("111111111111", "222222222222")]
        for sns in clients:
            sns.create_topic(Name="reset-me")
        reset = run("reset", **env)
        assert reset.returncode == 0 and "emptied every account" in reset.stderr, reset.stderr
        assert [sns.list_topics()["Topics"] for sns in clients] == [[], []]
    finally:
        # As scripts/test ends the servers it started: killed, without LocalStack's shutdown.
        stopped = run("stop", LOCALSTACK_STOP_KILL="1", **env)
    assert stopped.returncode == 0 and "killed (pid" in stopped.stderr, stopped.stderr
    assert not Path(f"/proc/{pid}").exists()
    assert not (tmp_path / "localstack.pid").exists()
