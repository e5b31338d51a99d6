"""What follows a write (derived indicators, logistics requirements) runs in a background job
after the write commits, once per transaction, and not at all when the write rolls back."""

import pytest
from django.db import OperationalError, transaction
from django.test import override_settings
from django.utils import translation

from posko.core import audit, derived, fanout, jobs
from posko.core.models import Job
from posko.elections import services as tps_services
from posko.elections.models import Tps
from posko.vulnerability.models import DerivedValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []
    fanout.register("test.heard", lambda election, tps_ids, key: calls.append((election.pk, tps_ids, key)))
    yield calls
    fanout._handlers.pop("test.heard", None)


@override_settings(POSKO_FANOUT="job")
def test_a_tps_change_is_recomputed_by_a_job_after_commit(world, users, django_capture_on_commit_callbacks):
    tps = world.tps_a
    before = audit.snapshot(tps)
    tps.special_location = Tps.SpecialLocation.LAPAS
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tps_services.update_tps(tps, actor=users["admin"], before=before)
        # Inside the writing transaction nothing was recomputed and no job exists yet.
        assert not DerivedValue.objects.filter(tps=tps, indicator="lokasi_khusus").exists()
        assert not Job.objects.filter(kind=fanout.JOB_KEY).exists()
    assert callbacks
    tps_job = Job.objects.get(kind=fanout.JOB_KEY, params__name="elections.tps_changed")
    assert (tps_job.status, tps_job.params["tps_ids"], tps_job.requested_by) == ("done", [tps.pk], None)
    # The TPS listener announced a derived change: its own job stored the value.
    derived_job = Job.objects.get(kind=fanout.JOB_KEY, params__name="core.derived")
    assert derived_job.status == "done", derived_job.error
    assert DerivedValue.objects.filter(tps=tps, indicator="lokasi_khusus", value=1).exists()


@override_settings(POSKO_FANOUT="job")
def test_one_transaction_queues_one_job_with_the_union_of_its_tps(world, heard,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            fanout.send("test.heard", world.election, [world.tps_b.pk], key="k")
            fanout.send("test.heard", world.election, [world.tps_a.pk, world.tps_b.pk], key="k")
            fanout.send("test.heard", world.election, [world.tps_a.pk], key="other")
    assert sorted(heard, key=lambda c: c[2]) == [
        (world.election.pk, sorted([world.tps_a.pk, world.tps_b.pk]), "k"),
        (world.election.pk, [world.tps_a.pk], "other")]
    assert Job.objects.filter(kind=fanout.JOB_KEY).count() == 2


@override_settings(POSKO_FANOUT="job")
def test_every_tps_absorbs_a_list(world, heard, django_capture_on_commit_callbacks):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        fanout.send("test.heard", world.election, [world.tps_a.pk])
        fanout.send("test.heard", world.election, None)
        fanout.send("test.heard", world.election, [world.tps_b.pk])
    assert heard == [(world.election.pk, None, "")]
    assert "every TPS" in Job.objects.get(kind=fanout.JOB_KEY).label


@override_settings(POSKO_FANOUT="job")
def test_a_rolled_back_write_announces_nothing(world, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                fanout.send("test.heard", world.election, [world.tps_a.pk])
                raise RuntimeError
        with transaction.atomic():
            fanout.send("test.heard", world.election, [world.tps_b.pk])
    assert heard == [(world.election.pk, [world.tps_b.pk], "")]
    assert Job.objects.filter(kind=fanout.JOB_KEY).count() == 1


@override_settings(POSKO_FANOUT="job")
def test_nothing_to_announce_queues_nothing(world, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fanout.send("test.heard", world.election, [])
        fanout.send("test.unknown", world.election, [world.tps_a.pk])
        derived.changed("no.such.source", None, [world.tps_a.pk])
    assert heard == [] and not Job.objects.exists()


@override_settings(POSKO_FANOUT="inline")
def test_inline_runs_inside_the_writing_transaction(world, heard):
    fanout.send("test.heard", world.election, [world.tps_a.pk, world.tps_a.pk])
    assert heard == [(world.election.pk, [world.tps_a.pk], "")]
    assert not Job.objects.exists()


@override_settings(POSKO_FANOUT="job")
def test_a_failing_recompute_is_shown_failed(world, django_capture_on_commit_callbacks):
    def broken(election, tps_ids, key):
        raise RuntimeError("boom")

    fanout.register("test.broken", broken)
    try:
        with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
            fanout.send("test.broken", world.election, [world.tps_a.pk])
    finally:
        fanout._handlers.pop("test.broken", None)
    job = Job.objects.get(kind=fanout.JOB_KEY)
    assert job.status == "failed" and "server's log" in job.error


@override_settings(POSKO_FANOUT="job")
def test_a_locked_database_is_a_passing_failure(world, django_capture_on_commit_callbacks):
    def locked(election, tps_ids, key):
        raise OperationalError("database is locked")

    fanout.register("test.locked", locked)
    try:
        with pytest.raises(jobs.RetryLater):
            fanout.run(None, name="test.locked", key="", election=world.election.pk, tps_ids=None)
    finally:
        fanout._handlers.pop("test.locked", None)


@override_settings(POSKO_FANOUT="job")
def test_a_job_speaks_the_language_of_who_asked(world, django_capture_on_commit_callbacks):
    def broken(election, tps_ids, key):
        raise RuntimeError("boom")

    fanout.register("test.broken", broken)
    try:
        for language in ("id", "en"):
            with translation.override(language), django_capture_on_commit_callbacks(execute=True):
                fanout.send("test.broken", world.election, [world.tps_a.pk])
    finally:
        fanout._handlers.pop("test.broken", None)
    indonesian, english = Job.objects.order_by("pk")
    assert (indonesian.language, english.language) == ("id", "en")
    assert "log server" in indonesian.error and "server's log" in english.error
