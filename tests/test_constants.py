"""Per-process constants (core.constants): read without a query once cached, and invalidated
correctly — by a save in this process at once, by another process's change within the
check interval, never by a change that was rolled back."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posko.core import constants, services
from posko.core.models import CacheGeneration
from posko.elections.models import Election, Stage
from posko.incidents.models import Category, IncidentSettings, Report
from posko.incidents.services import reports as report_services
from posko.outreach.models import TpsTurnout
from posko.regions.models import Pemda

pytestmark = pytest.mark.django_db


def queries(call):
    with CaptureQueriesContext(connection) as captured:
        value = call()
    return value, len(captured)


def other_process_renames(election, name):
    """What another web or worker process does: change the row and bump the shared
    counter, which sends no signal here."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE elections_election SET name = %s WHERE id = %s", [name, election.pk])
    CacheGeneration.objects.filter(pk=1).update(value=CacheGeneration.objects.get(pk=1).value + 1)


def test_the_active_election_is_read_once_and_handed_out_as_a_copy(world):
    first, count = queries(Election.active)
    assert first == world.election and count >= 1
    first.name = "changed by a caller"
    second, count = queries(Election.active)
    assert count == 0, "the second read must come from the process cache"
    assert second.name == "Pilkada Serentak 2024", "a caller's change must not leak"


def test_a_save_in_this_process_is_seen_at_once(world):
    Election.active()
    world.election.name = "Pilkada 2024 (ulang)"
    world.election.save()
    assert Election.active().name == "Pilkada 2024 (ulang)"
    Election.objects.filter(pk=world.election.pk).update(name="lewat update()")
    assert Election.active().name == "lewat update()"
    Stage.objects.bulk_create([Stage(election=world.election, name="Pemungutan suara",
                                     start_date=datetime.date(2024, 11, 27),
                                     end_date=datetime.date(2024, 11, 27))])
    assert [s.name for s in Election.active().stages_cached()] == ["Pemungutan suara"]


def test_another_processs_change_is_seen_after_the_check_interval(world, settings, monkeypatch):
    settings.POSKO_CONSTANTS_CHECK_SECONDS = 2
    clock = [1000.0]
    monkeypatch.setattr(constants.time, "monotonic", lambda: clock[0])
    constants.reset(recheck=True)  # as in a freshly started process
    Election.active()
    other_process_renames(world.election, "Nama dari proses lain")
    clock[0] += 1
    (election, count) = queries(Election.active)
    assert election.name == "Pilkada Serentak 2024" and count == 0, "within the interval"
    clock[0] += 1.5
    (election, count) = queries(Election.active)
    assert election.name == "Nama dari proses lain" and count == 2  # counter, then the row


def test_with_no_interval_the_counter_is_checked_on_every_read(world, settings):
    settings.POSKO_CONSTANTS_CHECK_SECONDS = 0
    constants.reset(recheck=True)
    Election.active()
    (_, count) = queries(Election.active)
    assert count == 1  # the counter only
    other_process_renames(world.election, "Segera terlihat")
    assert Election.active().name == "Segera terlihat"


def test_a_value_loaded_while_the_cache_is_emptied_is_not_kept(world):
    calls = []

    def slow_load():
        calls.append(1)
        constants.reset()  # a change committed while this value was being read
        return "old"

    assert constants.get(("test.race",), slow_load) == "old"
    constants.get(("test.race",), slow_load)
    assert len(calls) == 2, "the value read during the reset must not have been cached"


def test_every_watched_model_counts_its_bulk_writes():
    assert constants.unwatched_bulk_writes() == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_is_never_cached(world):
    assert Election.active().name == "Pilkada Serentak 2024"
    with pytest.raises(RuntimeError), transaction.atomic():
        world.election.name = "tidak jadi"
        world.election.save()
        assert Election.active().name == "tidak jadi"  # the writer sees its own change
        raise RuntimeError("rolled back")
    assert Election.active().name == "Pilkada Serentak 2024"
    with transaction.atomic():
        world.election.name = "jadi"
        world.election.save()
    assert Election.active().name == "jadi"
    (_, count) = queries(Election.active)
    assert count == 0


def test_the_pemda_is_a_constant_and_its_change_is_seen(world):
    assert Pemda.current().name == "Pemerintah Kota Malang"
    (_, count) = queries(Pemda.current)
    assert count == 0
    world.pemda.name = "Pemkot Malang"
    world.pemda.save()
    assert Pemda.current().name == "Pemkot Malang"


# --- the hot paths that use them ------------------------------------------------------------

def _report_body(world):
    return {"category": "politik_uang", "tps": world.tps_a.pk,
            "occurred_at": "2024-11-27T08:00:00+07:00", "severity": "sedang",
            "title": "Amplop di dekat TPS", "description": "Amplop dibagikan di dekat TPS."}


def test_a_report_takes_the_changed_sla_and_category_at_once(world, personas):
    client = personas["kelurahan_a"].client
    url = reverse("api:incident-report-list")
    assert client.post(url, _report_body(world), content_type="application/json").status_code == 201
    conf = IncidentSettings.objects.get(election=world.election)
    conf.respond_sedang = 5 * 60
    conf.save()
    response = client.post(url, _report_body(world), content_type="application/json")
    report = Report.objects.get(pk=response.json()["id"])
    assert report.response_due_at - report.created_at == datetime.timedelta(hours=5)
    Category.objects.filter(code="politik_uang").update(is_active=False)
    response = client.post(url, _report_body(world), content_type="application/json")
    assert response.status_code == 400 and "category" in response.json()
    assert Report.objects.count() == 2


def test_the_report_stage_comes_from_the_cached_schedule(world, personas):
    Stage.objects.create(election=world.election, name="Masa tenang",
                         start_date=datetime.date(2024, 11, 24), end_date=datetime.date(2024, 11, 26))
    voting = Stage.objects.create(election=world.election, name="Pemungutan suara",
                                  start_date=datetime.date(2024, 11, 27),
                                  end_date=datetime.date(2024, 11, 27))
    response = personas["kelurahan_a"].client.post(
        reverse("api:incident-report-list"), _report_body(world), content_type="application/json")
    assert response.status_code == 201 and response.json()["stage"] == voting.pk


def test_a_taken_tracking_code_is_drawn_again(world, users, monkeypatch):
    taken = Report.objects.create(election=world.election, code="LP-AAAA-AAAA",
                                  category=Category.objects.create(code="lainnya", name="Lainnya"),
                                  kabkota_id="35.73", kecamatan=world.kec_a, kelurahan=world.kel_a,
                                  occurred_at=datetime.datetime(2024, 11, 27, tzinfo=datetime.UTC),
                                  title="Lama", description="Laporan yang sudah ada.")
    codes = iter(["LP-AAAA-AAAA", "LP-BBBB-BBBB"])
    monkeypatch.setattr(report_services, "new_code", lambda: next(codes))
    report = Report(election=world.election, category=taken.category, kelurahan=world.kel_a,
                    occurred_at=taken.occurred_at, title="Baru", description="Laporan yang baru.")
    report_services.create_report(report, actor=users["kelurahan_a"])
    assert report.code == "LP-BBBB-BBBB"
    assert set(Report.objects.values_list("code", flat=True)) == {"LP-AAAA-AAAA", "LP-BBBB-BBBB"}


def test_another_integrity_error_is_not_retried(world):
    calls = []

    def write():
        calls.append(1)
        raise IntegrityError("some other constraint")

    with pytest.raises(IntegrityError):
        services.retry_on_collision(write, lambda: False)
    assert calls == [1]


def test_turnout_for_an_older_elections_tps_is_refused(world, personas):
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    old_tps = world.tps_a.__class__.objects.create(election=old, kelurahan=world.kel_a, number=1,
                                                   dpt_men=100, dpt_women=100)
    response = personas["kelurahan_a"].client.post(
        reverse("api:outreach-turnout-list"), {"tps": old_tps.pk, "voted_dpt": 10},
        content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["tps"]
    assert not TpsTurnout.objects.exists()


def test_turnout_api_write_and_its_conflict(world, personas):
    client = personas["kelurahan_a"].client
    url = reverse("api:outreach-turnout-list")
    first = client.post(url, {"tps": world.tps_a.pk, "voted_dpt": 100},
                        content_type="application/json")
    assert first.status_code == 201 and first.json()["version"] == 1
    second = client.post(url, {"tps": world.tps_a.pk, "voted_dpt": 120, "version": 1},
                         content_type="application/json")
    assert second.status_code == 201 and second.json()["version"] == 2
    assert second.json()["voted"] == 120 and second.json()["dpt"] == 410
    stale = client.post(url, {"tps": world.tps_a.pk, "voted_dpt": 130, "version": 1},
                        content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert TpsTurnout.objects.get().voted_dpt == 120


def test_one_category_is_looked_up_without_a_query_and_copied(world):
    from posko.incidents.services import category_in_use

    Category.objects.create(code="politik_uang", name="Politik uang")
    first, count = queries(lambda: category_in_use("politik_uang"))
    assert first.name == "Politik uang" and count == 1
    first.name = "diubah pemanggil"
    second, count = queries(lambda: category_in_use("politik_uang"))
    assert (second.name, count) == ("Politik uang", 0)
    assert category_in_use("tidak_ada") is None
