"""``core.bulk.create``: new rows of one model inserted at once, each object given its id —
on PostgreSQL as one JSON document unpacked by ``jsonb_to_recordset``, elsewhere Django's
``bulk_create``. What is read back is exactly what was set (quotes, backslashes and
newlines in JSON and text, NULLs, microseconds and the offset of a time, an IP address), a
value too long for its column is refused with nothing stored, and a model whose cached
copies ``core.constants`` keeps still invalidates them."""

from __future__ import annotations

import datetime

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from posko.core import bulk, constants
from posko.core.models import AuditEntry
from posko.elections.models import Election, Stage
from posko.voting.models import ResultSubmission
from tests.voting_fixtures import make_contests

pytestmark = pytest.mark.django_db

AWKWARD = 'Dibetulkan: "17" terbaca 817 \\ halaman 2\nbaris baru · é ✓'


def entries(n: int) -> list[AuditEntry]:
    return [AuditEntry(action=AuditEntry.Action.UPDATE, username=f"lurah{i}",
                       object_id=str(i), object_repr=f"TPS {i:03d}",
                       before=None if i % 2 else {"note": AWKWARD, "votes": {"1": i}},
                       after={"note": AWKWARD, "votes": {"1": i + 1}, "empty": None,
                              "list": [1, "dua", {"tiga": 3.5}]},
                       message=AWKWARD, ip="10.1.2.3" if i % 2 else None)
            for i in range(5)]


def test_each_object_gets_its_id_and_reads_back_exactly_what_was_set():
    made = entries(5)
    started = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        bulk.create(made)
    assert len(captured.captured_queries) == 1
    for i, entry in enumerate(made):
        assert entry.pk is not None and not entry._state.adding
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert stored.username == f"lurah{i}", "ids must come back in the objects' order"
        assert stored.message == AWKWARD
        assert stored.before == (None if i % 2 else {"note": AWKWARD, "votes": {"1": i}})
        assert stored.after == {"note": AWKWARD, "votes": {"1": i + 1}, "empty": None,
                                "list": [1, "dua", {"tiga": 3.5}]}
        assert stored.ip == ("10.1.2.3" if i % 2 else None)
        # auto_now_add: set on the object, stored to the microsecond
        assert started <= entry.timestamp and stored.timestamp == entry.timestamp


def test_a_time_keeps_its_microseconds_and_its_instant_and_a_relation_its_id(world):
    wib = datetime.timezone(datetime.timedelta(hours=7))
    at = datetime.datetime(2024, 11, 27, 13, 0, 0, 123456, tzinfo=wib)
    contest, = make_contests(world, "walikota")
    rows = [ResultSubmission.for_tps(tps, contest=contest, source="pemda", values={"valid": 1},
                                     votes={"1": 1}, reason="", entered_by=None,
                                     received_at=at + datetime.timedelta(microseconds=i))
            for i, tps in enumerate([world.tps_a, world.tps_b])]
    bulk.create(rows)
    for i, (row, tps) in enumerate(zip(rows, [world.tps_a, world.tps_b], strict=True)):
        stored = ResultSubmission.objects.get(pk=row.pk)
        assert stored.received_at == at + datetime.timedelta(microseconds=i)
        assert (stored.tps_id, stored.contest_id, stored.processed_at) == (tps.pk, contest.pk, None)
        assert stored.kelurahan_id == tps.kelurahan_id  # the place fields for_tps copies


def test_nothing_to_insert_sends_nothing():
    with CaptureQueriesContext(connection) as captured:
        bulk.create([])
    assert len(captured.captured_queries) == 0


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite does not enforce a varchar's length")
def test_a_value_too_long_for_its_column_is_refused_and_nothing_is_stored():
    made = entries(3)
    made[2].object_id = "x" * 65  # the column takes 64
    with pytest.raises(DataError), transaction.atomic():
        bulk.create(made)
    assert not AuditEntry.objects.filter(username__startswith="lurah").exists()


def test_a_watched_models_rows_still_empty_the_processes_caches(world):
    assert constants.is_watched(Stage)
    Election.active().stages_cached()
    bulk.create([Stage(election=world.election, name="Penghitungan suara",
                       start_date=datetime.date(2024, 11, 27),
                       end_date=datetime.date(2024, 11, 28))])
    assert [s.name for s in Election.active().stages_cached()] == ["Penghitungan suara"]
