"""core.tasks (the coordination module's provider) and core.derived (the source registry)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from posko.accounts.models import Agency
from posko.coordination.models import Task
from posko.core import derived, tasks
from posko.core.models import AuditEntry
from posko.elections.models import Election


def test_a_module_creates_a_coordination_task_and_reads_its_status(world, users):
    agency = Agency.objects.get(short_name="Dinkes")
    ref = tasks.create_task(tasks.TaskRequest(
        election=world.election, title="Pos kesehatan di TPS 001", source="vulnerability.action:7",
        agency=agency, tps=world.tps_a, priority="high"), actor=users["admin"])
    task = Task.objects.get(pk=ref.pk)
    assert (task.source, task.kelurahan_id, task.kecamatan_id) == (
        "vulnerability.action:7", world.kel_a.code, world.kec_a.code)
    assert task.priority == Task.Priority.TINGGI
    assert AuditEntry.objects.filter(action="create", object_id=str(task.pk)).exists()
    assert ref.url == task.get_absolute_url()
    assert (ref.status, ref.is_done, ref.agency) == ("belum_mulai", False, "Dinkes")

    task.status = Task.Status.SELESAI
    task.save()
    found = tasks.tasks_for(["vulnerability.action:7", "vulnerability.action:8"])
    assert list(found) == ["vulnerability.action:7"]
    assert found["vulnerability.action:7"][0].is_done


def test_a_task_without_an_agency_is_refused_and_nothing_is_saved(world, users):
    with pytest.raises(ValidationError) as caught:
        tasks.create_task(tasks.TaskRequest(election=world.election, title="x",
                                            source="outreach.warning:1"), actor=users["admin"])
    assert "agency" in caught.value.message_dict
    assert not Task.objects.exists()


def test_derived_sources_register_and_announce_changes(db):
    seen = []

    def listener(sender, election, tps_ids, **kwargs):
        seen.append((sender, election, tps_ids))

    derived.source_changed.connect(listener)
    try:
        derived.register_source("riwayat_kekerasan", "test.source",
                                lambda election, tps_ids: [derived.DerivedValue(1, 1, "x")])
        assert "test.source" in [s.key for s in derived.sources("riwayat_kekerasan")]
        assert "test.source" not in [s.key for s in derived.sources("politik_uang")]
        election = Election.objects.create(name="Uji", voting_date=datetime.date(2024, 11, 27))
        derived.changed("test.source", election, [4, 3, 4])
        assert seen == [("test.source", election, [3, 4])]
    finally:
        derived.source_changed.disconnect(listener)
        derived.unregister_source("test.source")
    assert derived.source("test.source") is None
