import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from posko.accounts.models import Agency
from posko.coordination.models import Task
from posko.coordination.services import tasks as services

pytestmark = pytest.mark.django_db


def _task(world, users, kelurahan, *, days, assignees):
    agency = Agency.objects.get_or_create(name="Dinas Perhubungan", short_name="Dishub")[0]
    task = Task(election=world.election, title=f"Tugas {kelurahan.name} {days}", agency=agency,
                kelurahan=kelurahan, due_at=timezone.now() + datetime.timedelta(days=days),
                created_at=timezone.now() - datetime.timedelta(days=10))
    return services.create_task(task, actor=users["admin"], assignees=assignees)


def test_home_shows_my_tasks_and_overdue_in_scope(world, users, personas):
    lurah_a, lurah_b = users["kelurahan_a"], users["kelurahan_b"]
    _task(world, users, world.kel_a, days=-2, assignees=[lurah_a])  # overdue, mine
    _task(world, users, world.kel_a, days=3, assignees=[lurah_a])  # open, mine
    _task(world, users, world.kel_b, days=-1, assignees=[lurah_b])  # overdue, not mine
    cards = {c.label: c for c in personas["kelurahan_a"].client.get(reverse("home")).context[
        "module_cards"]}
    assert [c.value for c in cards.values()][:2] == [2, 1]
    mine = next(iter(cards.values()))
    assert mine.alert and "1" in mine.note
    admin_cards = personas["admin"].client.get(reverse("home")).context["module_cards"]
    assert admin_cards[0].value == 0 and admin_cards[1].value == 2  # admin: nothing assigned, 2 late
    page = personas["kelurahan_a"].client.get(reverse("home")).content.decode()
    assert reverse("coordination:my_tasks") in page
