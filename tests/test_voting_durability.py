"""A C.Hasil acknowledged with 201 is durable: a real server process (gunicorn) answers the
POST, is killed with SIGKILL the moment the 201 arrives, and the entry is in the database;
a server started again answers the same Idempotency-Key with the first answer (replayed)
and stores nothing twice. On SQLite the in-memory test database is copied to a file (WAL,
as in production) for the server; on PostgreSQL the server shares the test database."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from posko.accounts import tokens as api_tokens
from posko.elections.models import CandidatePair, Contest
from posko.voting.models import TpsResult
from posko.voting.services import inbox

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_database(tmp_path) -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
                f"{db['PORT'] or 5432}/{db['NAME']}")
    path = tmp_path / "posko.sqlite3"
    with connection.cursor() as cursor:  # the in-memory test database, as a file
        cursor.execute("VACUUM INTO %s", [str(path)])
    return f"sqlite:///{path}"


def start(url: str, port: int, **extra: str) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url,
           "PYTHONPATH": str(ROOT), "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1",
           "SECRET_KEY": "durability-test-secret-key-that-is-long-enough-0123456789", **extra}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "posko.wsgi", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT, env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.1)
    kill(server)
    raise AssertionError("the server did not start")


def kill(server: subprocess.Popen) -> None:
    """SIGKILL to the master and its worker (the session started for them)."""
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait(10)


def post(port, path, token, key, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json",
            "Idempotency-Key": key})
        response = conn.getresponse()
        return response.status, response.getheader("Idempotent-Replayed"), response.read()
    finally:
        conn.close()


def stored(url: str, pk: int):
    """The entry as a fresh connection finds it after the kill."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute("SELECT valid, votes FROM voting_tpsresult WHERE id = ?",
                              [pk]).fetchone()
    connection.close()
    row = TpsResult.objects.filter(pk=pk).values_list("valid", "votes").first()
    return row and (row[0], json.dumps(row[1]))


def walikota(world) -> Contest:
    contest = Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    for n in (1, 2, 3):
        CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                     deputy_name=f"Wakil {n}")
    return contest


BODY = {"voters_dpt": 250, "valid": 245, "invalid": 5, "ballots_received": 421,
        "ballots_used": 250, "ballots_unused": 171, "votes": {"1": 100, "2": 90, "3": 55}}


def submission(world, users, tmp_path) -> tuple[str, str, str, str, dict]:
    """A lurah's token, the server's database URL, the path, a key and a C.Hasil body."""
    contest = walikota(world)
    token = api_tokens.create(users["kelurahan_a"], name="test")[1]
    return (token, server_database(tmp_path), f"/api/v1/voting/tps/{world.tps_a.pk}/results/",
            str(uuid.uuid4()), {"contest": contest.pk, **BODY})


def test_a_result_answered_201_survives_kill_9_and_its_key_replays_after_restart(
        world, users, tmp_path):
    token, url, path, key, body = submission(world, users, tmp_path)

    port = free_port()
    server = start(url, port)
    try:
        status, replayed, raw = post(port, path, token, key, body)
    finally:
        kill(server)  # at once: no graceful shutdown, no chance to write after the answer
    assert (status, replayed) == (201, None), raw
    first = json.loads(raw)
    valid, votes = stored(url, first["id"])
    assert valid == 245 and json.loads(votes) == {"1": 100, "2": 90, "3": 55}

    port = free_port()
    server = start(url, port)
    try:
        again = post(port, path, token, key, body)
    finally:
        kill(server)
    assert again[:2] == (201, "true")
    assert json.loads(again[2]) == first
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            count = db.execute("SELECT count(*) FROM voting_tpsresult").fetchone()[0]
    else:
        count = TpsResult.objects.count()
    assert count == 1


def test_a_result_answered_202_by_the_inbox_survives_kill_9_and_is_processed_after_restart(
        world, users, tmp_path):
    """Production's mode (``POSKO_FANOUT=job``, jobs on the database queue, no worker): the
    202 is sent after the row and the key's answer are written; killed at once, the row is
    there; the same key replays after the restart; the job then makes it a C.Hasil."""
    token, url, path, key, body = submission(world, users, tmp_path)
    mode = {"POSKO_FANOUT": "job", "POSKO_JOBS": "database"}

    server = start(url, port := free_port(), **mode)
    try:
        status, replayed, raw = post(port, path, token, key, body)
    finally:
        kill(server)
    assert (status, replayed) == (202, None), raw
    server = start(url, port := free_port(), **mode)
    try:
        again = post(port, path, token, key, body)
    finally:
        kill(server)
    assert again[:2] == (202, "true") and json.loads(again[2]) == json.loads(raw)
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            rows = db.execute("SELECT votes FROM voting_resultsubmission").fetchall()
        assert [json.loads(votes) for (votes,) in rows] == [{"1": 100, "2": 90, "3": 55}]
        return
    connection.close()
    assert inbox.process_pending() == (1, 0)
    assert TpsResult.objects.get().votes == {"1": 100, "2": 90, "3": 55}
