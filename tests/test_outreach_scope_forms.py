"""The outreach activity form refuses a place outside the user's region instead of saving
the activity somewhere else: a lurah's and a camat's region is locked on the form, and a
posted kelurahan/kecamatan other than theirs was silently replaced by their own (issue 8a)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from posko.accounts.models import Agency, Role, User
from posko.core.models import AuditEntry
from posko.outreach.models import Activity
from tests.conftest import client_for
from tests.outreach_fixtures import add_activity, group

pytestmark = pytest.mark.django_db

ADD = "outreach:activity_add"
OTHER_KELURAHAN = "Pilih kelurahan dalam wilayah Anda."
OTHER_KECAMATAN = "Pilih kecamatan dalam wilayah Anda."
OWN_AGENCY = "Sebagai operator perangkat daerah, Anda mencatat kegiatan perangkat daerah Anda sendiri."


def data(**extra):
    return {"title": "Sosialisasi pemilih pemula", "kind": "sekolah", "status": "held",
            "starts_at": "2024-10-20T09:00", "organiser_kind": "kelurahan",
            "target_groups": [group("pemilih-pemula").pk], "attendance": "120", **extra}


def nothing_saved():
    return not Activity.objects.exists() and not AuditEntry.objects.filter(
        action="create", content_type__model="activity").exists()


def refused(response, message) -> bool:
    return response.status_code == 400 and message in response.content.decode()


def test_a_lurah_posting_another_kelurahan_is_refused_and_nothing_is_saved(world, personas):
    client = personas["kelurahan_a"].client
    response = client.post(reverse(ADD), data(kelurahan=world.kel_b.code))
    assert refused(response, OTHER_KELURAHAN) and nothing_saved()
    response = client.post(reverse(ADD), data(kecamatan=world.kec_b.code))
    assert refused(response, OTHER_KECAMATAN) and nothing_saved()
    response = client.post(reverse(ADD), data(kelurahan=world.kel_outside.code))
    assert refused(response, OTHER_KELURAHAN) and nothing_saved()
    # Their own kelurahan posted (or none: the locked field keeps it) is fine.
    response = client.post(reverse(ADD), data(kelurahan=world.kel_a.code,
                                              kecamatan=world.kec_a.code))
    assert response.status_code == 302
    assert Activity.objects.get().kelurahan_id == world.kel_a.code


def test_a_lurah_cannot_move_an_activity_to_another_kelurahan(world, users, personas):
    activity = add_activity(world, users["kelurahan_a"], title="Rapat RW 03")
    response = personas["kelurahan_a"].client.post(
        reverse("outreach:activity_edit", args=[activity.pk]),
        data(kelurahan=world.kel_b.code, title="Dipindah", version=activity.version))
    assert refused(response, OTHER_KELURAHAN)
    activity.refresh_from_db()
    assert (activity.kelurahan_id, activity.title) == (world.kel_a.code, "Rapat RW 03")


def test_a_camat_or_admin_choosing_outside_their_region_gets_the_same_message(world, personas):
    response = personas["kecamatan_a"].client.post(reverse(ADD), data(kelurahan=world.kel_b.code))
    assert refused(response, OTHER_KELURAHAN) and nothing_saved()
    response = personas["kecamatan_a"].client.post(reverse(ADD), data(kecamatan=world.kec_b.code))
    assert refused(response, OTHER_KECAMATAN) and nothing_saved()
    response = personas["admin"].client.post(reverse(ADD), data(
        kelurahan=world.kel_outside.code, organiser_kind="partner", partner_name="KPU"))
    assert refused(response, OTHER_KELURAHAN) and nothing_saved()


def test_an_agency_operator_posting_another_agency_is_refused(world, users, personas):
    dishub = Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")
    operator = users["agency"]
    client = personas["agency"].client
    base = data(kelurahan=world.kel_a.code, organiser_kind="agency", agency=operator.agency_id)
    response = client.post(reverse(ADD), {**base, "agency": dishub.pk})
    assert refused(response, OWN_AGENCY) and nothing_saved()
    response = client.post(reverse(ADD), {**base, "organiser_kind": "partner",
                                          "partner_name": "KPU"})
    assert refused(response, OWN_AGENCY) and nothing_saved()
    assert client.post(reverse(ADD), base).status_code == 302
    assert Activity.objects.get().agency_id == operator.agency_id
    other = User.objects.create_user(username="dishub", password="x", role=Role.AGENCY,
                                     agency=dishub)
    assert client_for(other).post(reverse(ADD), {**base, "starts_at": "2024-10-21T09:00"}) \
        .status_code == 400
    assert Activity.objects.count() == 1
