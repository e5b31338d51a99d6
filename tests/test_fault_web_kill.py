"""Fault: the web server killed (kill -9) right after it answered 201 — the record is there,
because a write is committed before its answer is sent. Runs gunicorn on the PostgreSQL test
database (SQLite's test database lives in memory and cannot be shared)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from posko.accounts import tokens as api_tokens
from posko.elections.models import Tps
from tests.test_jobs_worker import database_url

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="the server process shares the PostgreSQL test database"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_tps_answered_201_survives_kill_9_of_the_server(world, users):
    token = api_tokens.create(users["admin"], name="test")[1]
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "PYTHONPATH": str(ROOT), "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1",
           "SECRET_KEY": "fault-test-secret-key-that-is-long-enough-0123456789"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "posko.wsgi",
                               "--bind", f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/tps/", method="POST",
            data=json.dumps({"kelurahan": world.kel_a.code, "number": 77, "dpt_men": 100,
                             "dpt_women": 100, "address": "Jl. Tahan Banting 77"}).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
            created = json.loads(response.read())
    finally:
        server.send_signal(signal.SIGKILL)  # the master; its worker is killed with it below
        subprocess.run(["pkill", "-9", "-f", f"127.0.0.1:{port}"], check=False)
        server.wait()
    tps = Tps.objects.get(pk=created["id"])
    assert (tps.number, tps.address) == (77, "Jl. Tahan Banting 77")
