"""``posko rehearse``: a short gladi through the real HTTP API of a live server — every
submission sent is stored once (retries and double taps replayed, not stored twice), the
misreads end corrected, the devices' credentials are gone afterwards; a loss fails the
command with exit code 1; bad options and a finished voting day are refused with a message."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from posko.accounts.models import ApiToken, User
from posko.core.models import IdempotencyKey
from posko.elections.models import CandidatePair, Contest, Election
from posko.voting import rehearsal
from posko.voting.models import ResultSubmission, Source, StatusEvent, TpsDay, TpsResult

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = {"speed": 0, "clients": 3, "seed": 7, "misread": 0.6, "retry": 0.5, "double": 0.3,
        "witness": 1, "disagree": 0.5, "offline": 0.5, "problems": 0.5, "late": 0.5}
if connection.vendor == "sqlite":
    # The live server shares the in-memory test database's one connection between its
    # threads: one request at a time (PostgreSQL runs the concurrent clients and double taps).
    BUSY.update(clients=1, double=0)


@pytest.fixture
def contests(world):
    made = [Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                   level="walikota", provinsi_id="35", kabkota_id="35.73"),
            Contest.objects.create(election=world.election, name="Gubernur Jawa Timur",
                                   level="gubernur", provinsi_id="35")]
    for contest in made:
        for n in (1, 2, 3):
            CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                         deputy_name=f"Wakil {n}")
    return made


def rehearse(**options) -> str:
    out = io.StringIO()
    call_command("rehearse", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_a_short_rehearsal_stores_every_submission_once(world, users, contests, live_server):
    output = rehearse(url=live_server.url, **BUSY)

    plan = rehearsal.plan(world.election, rehearsal.tps_for(world.election), {
        k: "-" for k in ("35.73.02.1001", "35.73.02.1002", "35.73.01.1001")},
        rehearsal.Options(**BUSY))
    sent = [s for device in plan for s in device.queue]
    assert f"OK: sent {len(sent)} = stored {len(sent)}, nothing lost." in output
    assert "replays (same key again)" in output
    replays = int(output.split("replays (same key again)")[1].split()[0])
    assert replays > 0  # retries after a lost answer were answered from the stored key
    reports = [s for s in sent if s.kind == "report"]
    assert StatusEvent.objects.count() == len(reports)
    assert TpsResult.objects.count() == len(sent) - len(reports)
    assert IdempotencyKey.objects.count() == len(sent)
    assert TpsDay.objects.filter(state="selesai").count() == 3  # the TPS of the Pemda
    # Every misread was corrected with a reason: the current Pemda entries add up.
    corrections = TpsResult.objects.filter(source=Source.PEMDA, version=2)
    assert corrections.exists() and all("Salah baca" in c.reason for c in corrections)
    for current in TpsResult.objects.filter(source=Source.PEMDA, is_current=True):
        assert sum(current.votes.values()) == current.valid
    assert "misreads left uncorrected        0" in output
    # No credential outlives the run.
    gladi = User.objects.filter(username__startswith="gladi.")
    assert gladi.count() == 3 and not gladi.filter(is_active=True).exists()
    assert not ApiToken.objects.filter(user__in=gladi).exists()

    # A second run on the finished day is refused; --reset --yes replays it again, same seed.
    with pytest.raises(CommandError, match="already has a voting day .*--reset --yes"):
        rehearse(url=live_server.url, **BUSY)
    with pytest.raises(CommandError, match="confirm with --yes"):
        rehearse(url=live_server.url, reset=True, **BUSY)
    assert TpsResult.objects.count() == len(sent) - len(reports)
    output = rehearse(url=live_server.url, reset=True, yes=True, **BUSY)
    assert f"OK: sent {len(sent)} = stored {len(sent)}" in output
    assert TpsResult.objects.count() == len(sent) - len(reports)


def test_a_lost_submission_fails_the_command_with_exit_code_1(world, users, contests,
                                                              live_server, monkeypatch):
    send = rehearsal.http._send
    dropped = []

    def lossy(client, device, sub, stats):
        if sub.label == "saksi" and not dropped:
            dropped.append(sub)  # counted as sent, never reaches the server
            return
        send(client, device, sub, stats)

    monkeypatch.setattr(rehearsal.http, "_send", lossy)
    with pytest.raises(CommandError, match="Not every submission was stored exactly once") as info:
        rehearse(url=live_server.url, **{**BUSY, "witness": 1})
    assert info.value.returncode == 1 and dropped


@pytest.mark.parametrize(("options", "message"), [
    ({"speed": -1}, "--speed must be 0 (as fast as possible) or more."),
    ({"clients": 0}, "--clients must be between 1 and 256."),
    ({"limit": 0}, "--limit must be 1 or more."),
    ({"election": 999}, "There is no election 999."),
])
def test_bad_options_are_refused_with_a_message(world, options, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        rehearse(url="http://127.0.0.1:9", **options)
    assert not TpsDay.objects.exists()


def test_a_share_outside_0_to_1_is_refused(world):
    with pytest.raises(CommandError, match="--misread: invalid share value"):
        call_command("rehearse", "--misread", "1.5")


def test_only_the_active_election_with_a_past_voting_day(world):
    other = Election.objects.create(name="Pilkada Ulang", voting_date=datetime.date(2025, 3, 1))
    with pytest.raises(CommandError, match="is not the active election"):
        rehearse(election=other.pk, url="http://127.0.0.1:9")
    Election.objects.filter(pk=world.election.pk).update(
        voting_date=datetime.date.today() + datetime.timedelta(days=30))
    with pytest.raises(CommandError, match="the API refuses reports from the future"):
        rehearse(url="http://127.0.0.1:9")


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the in-memory test database has one "
                    "connection: a worker thread beside the live server's collides with it")
def test_with_the_inbox_the_rehearsal_waits_for_the_job_and_stores_every_submission_once(
        world, users, contests, live_server, settings, monkeypatch):
    """Production's mode (``POSKO_FANOUT=job``): every C.Hasil is answered 202; the report
    waits until a worker (here a thread) has processed the inbox, then counts."""
    import threading

    from posko.voting.management.commands import rehearse as command
    from posko.voting.services import inbox

    settings.POSKO_FANOUT = "job"
    monkeypatch.setattr(command, "INBOX_WAIT_SECONDS", 60)
    stop = threading.Event()

    def worker():
        try:
            while not stop.is_set():
                if not inbox.process_pending()[0]:
                    stop.wait(0.2)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        output = rehearse(url=live_server.url, **{**BUSY, "limit": 2})
    finally:
        stop.set()
        thread.join()
    assert "OK: sent" in output and "nothing lost" in output, output
    assert "inbox drained after the last answer in" in output
    assert "still waiting" not in output
    assert TpsResult.objects.filter(source=Source.PEMDA, version=2).exists()  # corrections
    assert not inbox.pending()
    assert rehearsal.reset(world.election)["inbox"] > 0  # --reset clears the inbox too
    assert not ResultSubmission.objects.exists()
