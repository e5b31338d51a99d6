"""The generic delete page: an object still in use is not deleted and the page says what
uses it (no server error); HTTP DELETE is not a way around the confirmation page."""

import pytest
from django.urls import reverse

from posko.core.models import AuditEntry
from posko.elections.models import Tps
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db


def test_deleting_a_tps_with_a_worker_posted_says_what_uses_it(world, users, personas):
    make_worker(users["admin"], world.tps_a)
    make_worker(users["admin"], world.tps_a, name="Siti Aminah")
    response = personas["kelurahan_a"].client.post(
        reverse("elections:tps_delete", args=[world.tps_a.pk]))
    assert response.status_code == 409
    body = response.content.decode()
    assert "tidak dapat dihapus: masih dipakai oleh 2 petugas" in body.lower()
    assert Tps.objects.filter(pk=world.tps_a.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


@pytest.mark.parametrize("method", ["delete", "put"])
def test_other_http_methods_are_not_allowed_on_delete_pages(world, personas, method):
    url = reverse("elections:tps_delete", args=[world.tps_a.pk])
    response = getattr(personas["admin"].client, method)(url)
    assert response.status_code == 405
    assert Tps.objects.filter(pk=world.tps_a.pk).exists()
