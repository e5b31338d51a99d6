import pytest

from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan
from tests.conftest import EDITS_KEL_A, SEES_KEL_A, SEES_KEL_A2, SEES_KEL_B


@pytest.mark.parametrize("persona", ["admin", "kecamatan_a", "kelurahan_a", "kelurahan_b", "agency",
                                     "pemantau", "anonymous"])
def test_tps_visible_only_inside_scope(world, users, persona):
    user = users[persona]
    from django.contrib.auth.models import AnonymousUser

    visible = set(Tps.objects.visible_to(user or AnonymousUser()).values_list("pk", flat=True))
    assert (world.tps_a.pk in visible) == (persona in SEES_KEL_A)
    assert (world.tps_a2.pk in visible) == (persona in SEES_KEL_A2)
    assert (world.tps_b.pk in visible) == (persona in SEES_KEL_B)
    assert world.tps_outside.pk not in visible
    editable = set(Tps.objects.editable_by(user).values_list("pk", flat=True)) if user else set()
    assert (world.tps_a.pk in editable) == (persona in EDITS_KEL_A)


def test_region_scope_of_kelurahan_operator(world, users):
    user = users["kelurahan_a"]
    assert list(Kecamatan.objects.visible_to(user)) == [world.kec_a]
    assert list(Kelurahan.objects.visible_to(user)) == [world.kel_a]
    admin = users["admin"]
    assert set(Kecamatan.objects.visible_to(admin)) == {world.kec_a, world.kec_b}


def test_operator_without_region_sees_nothing(world, users):
    user = users["kecamatan_a"]
    user.kecamatan = None
    assert not Tps.objects.visible_to(user).exists()


def test_province_pemda_covers_every_kabkota_of_the_province(world, users):
    """A governor's desk: the Pemda is the province, so Kota Batu's TPS are inside it."""
    from posko.regions.models import Pemda

    world.pemda.kabkota, world.pemda.provinsi = None, world.kec_a.kabkota.provinsi
    world.pemda.save()
    Pemda.clear_cache()
    admin_sees = set(Tps.objects.visible_to(users["admin"]))
    assert admin_sees == {world.tps_a, world.tps_a2, world.tps_b, world.tps_outside}
    assert set(Kecamatan.objects.visible_to(users["pemantau"])) == {
        world.kec_a, world.kec_b, world.kel_outside.kecamatan}
    # Operators stay inside their own region.
    assert set(Tps.objects.visible_to(users["kelurahan_a"])) == {world.tps_a}


def test_no_pemda_configured_shows_nothing(world, users):
    from posko.regions.models import Pemda

    Pemda.objects.all().delete()
    Pemda.clear_cache()
    assert not Tps.objects.visible_to(users["admin"]).exists()
