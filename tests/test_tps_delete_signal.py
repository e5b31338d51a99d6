"""Deleting a TPS announces it (tps_changed), like creating or changing one, so modules drop
what they keep for it and recompute what depends on it."""

import pytest
from django.urls import reverse

from posko.elections.models import Tps
from posko.elections.signals import tps_changed
from posko.logistics.models import Requirement, TpsReadiness
from posko.logistics.services import catalogue
from posko.vulnerability.models import DerivedValue

pytestmark = pytest.mark.django_db


def test_deleting_a_tps_sends_tps_changed_and_nothing_lingers(world, users, personas):
    catalogue.install_defaults(world.election, actor=users["admin"])
    Tps.objects.filter(pk=world.tps_a.pk).update(special_location="lapas")
    tps_changed.send(sender=Tps, election=world.election, tps_ids=[world.tps_a.pk])
    pk = world.tps_a.pk
    assert Requirement.objects.filter(tps_id=pk).exists()
    assert DerivedValue.objects.filter(tps_id=pk).exists()
    heard = []

    def listener(sender, election, tps_ids, **kwargs):
        heard.append((election.pk, list(tps_ids)))

    tps_changed.connect(listener)
    try:
        response = personas["admin"].client.post(reverse("elections:tps_delete", args=[pk]))
    finally:
        tps_changed.disconnect(listener)
    assert response.status_code == 302
    assert not Tps.objects.filter(pk=pk).exists()
    assert heard == [(world.election.pk, [pk])]
    assert not Requirement.objects.filter(tps_id=pk).exists()
    assert not TpsReadiness.objects.filter(tps_id=pk).exists()
    assert not DerivedValue.objects.filter(tps_id=pk).exists()
    # The other TPS keep theirs.
    assert Requirement.objects.filter(tps_id=world.tps_b.pk).exists()
