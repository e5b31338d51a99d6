"""Pemda support logistics: who sees, requests, edits and moves support requests; the
rules (rejection note, place inside the region, agency suggestion), optimistic locking,
filters, the summary and the export."""

from __future__ import annotations

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from posko.accounts.models import Agency, Role, User
from posko.core.models import AuditEntry
from posko.logistics import access
from posko.logistics.models import SupportRequest
from posko.logistics.services import support
from tests.conftest import PASSWORD, SEES_KEL_A, SEES_KEL_B, client_for

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
NEEDED = datetime.datetime(2024, 11, 26, 18, 0, tzinfo=WIB)
LIST = reverse("logistics:support_list")
ADD = reverse("logistics:support_add")


@pytest.fixture
def dinkes(users):
    return users["agency"].agency


@pytest.fixture
def dishub(db):
    return Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")


@pytest.fixture
def bpbd(db):
    return Agency.objects.create(name="Badan Penanggulangan Bencana Daerah", short_name="BPBD")


def make(world, agency, *, kel=None, tps=None, kec=None, kind=SupportRequest.Kind.AMBULANS,
         status=SupportRequest.Status.REQUESTED, quantity=1, needed_by=NEEDED, note="",
         description=""):
    kelurahan = kel or (tps.kelurahan if tps else None)
    kecamatan = kec or (kelurahan.kecamatan if kelurahan else None)
    return SupportRequest.objects.create(
        election=world.election, kind=kind, quantity=quantity, kecamatan=kecamatan,
        kelurahan=kelurahan, tps=tps, agency=agency, needed_by=needed_by, status=status,
        note=note, description=description)


def detail(req):
    return reverse("logistics:support_detail", args=[req.pk])


def edit(req):
    return reverse("logistics:support_edit", args=[req.pk])


def status_url(req):
    return reverse("logistics:support_status", args=[req.pk])


def listed(response) -> set[int]:
    return {r.pk for r in response.context["page"].object_list}


def form_data(**values):
    data = {"kind": "ambulans", "description": "", "quantity": "1", "kecamatan": "",
            "kelurahan": "", "tps": "", "agency": "", "needed_by": "2024-11-26T18:00"}
    data.update({k: ("" if v is None else str(v)) for k, v in values.items()})
    return data


# --- visibility -------------------------------------------------------------------------------

def test_detail_persona_matrix(world, personas, dinkes):
    in_a = make(world, dinkes, tps=world.tps_a)
    in_b = make(world, dinkes, kel=world.kel_b)
    for name, persona in personas.items():
        for req, sees in ((in_a, SEES_KEL_A), (in_b, SEES_KEL_B)):
            response = persona.client.get(detail(req))
            if name == "anonymous":
                assert response.status_code == 302 and response["Location"].startswith("/masuk/")
            else:
                assert response.status_code == (200 if name in sees else 404), (name, req)


def test_list_shows_only_the_scope(world, personas, dinkes):
    rows = {
        "a": make(world, dinkes, tps=world.tps_a),
        "a2": make(world, dinkes, kel=world.kel_a2),
        "kec_a": make(world, dinkes, kec=world.kec_a),
        "b": make(world, dinkes, kel=world.kel_b),
    }
    expected = {
        "admin": {"a", "a2", "kec_a", "b"},
        "kecamatan_a": {"a", "a2", "kec_a"},
        "kelurahan_a": {"a"},
        "kelurahan_b": {"b"},
        "agency": {"a", "a2", "kec_a", "b"},
        "pemantau": {"a", "a2", "kec_a", "b"},
    }
    for name, keys in expected.items():
        response = personas[name].client.get(LIST)
        assert response.status_code == 200
        assert listed(response) == {rows[k].pk for k in keys}, name
    assert personas["anonymous"].client.get(LIST).status_code == 302


def test_requests_outside_the_pemda_are_404_even_for_admins(world, personas, dinkes):
    outside = make(world, dinkes, tps=world.tps_outside)
    assert personas["admin"].client.get(detail(outside)).status_code == 404
    assert outside.pk not in listed(personas["admin"].client.get(LIST))


def test_agency_operator_sees_what_its_agency_fulfils(world, users, dinkes, dishub):
    mine = make(world, dinkes, kel=world.kel_b)
    other = make(world, dishub, kind="kendaraan", kel=world.kel_b)
    seen = set(access.visible_support(users["agency"]).values_list("pk", flat=True))
    assert {mine.pk, other.pk} <= seen  # agency operators work Pemda-wide, and see their own
    # A misconfigured region operator sees nothing, an inactive user nothing.
    users["kelurahan_a"].is_active = False
    assert not access.visible_support(users["kelurahan_a"]).exists()
    assert not access.visible_support(None).exists()


# --- create -----------------------------------------------------------------------------------

def test_lurah_requests_for_a_tps_of_their_kelurahan(world, personas, users, dinkes):
    client = personas["kelurahan_a"].client
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, form_data(kind="ambulans", quantity=2, tps=world.tps_a.pk))
    assert response.status_code == 302, response.content.decode()[:3000]
    req = SupportRequest.objects.get()
    assert (req.kecamatan_id, req.kelurahan_id, req.tps_id) == (
        world.kec_a.code, world.kel_a.code, world.tps_a.pk)
    assert req.agency == dinkes  # suggested from the kind
    assert req.status == SupportRequest.Status.REQUESTED
    assert req.requested_by == users["kelurahan_a"] and req.election == world.election
    assert response["Location"] == detail(req)
    entry = AuditEntry.objects.get(action="create", object_id=str(req.pk))
    assert entry.username == "kelurahan_a" and entry.kelurahan_code == world.kel_a.code


def test_lurah_cannot_request_for_another_kelurahan(world, personas, dinkes):
    client = personas["kelurahan_a"].client
    # The kelurahan is locked to their own; a TPS of B is not even a choice.
    response = client.post(ADD, form_data(kelurahan=world.kel_b.code, tps=world.tps_b.pk,
                                          agency=dinkes.pk))
    assert response.status_code == 400
    assert "tps" in response.context["form"].errors
    assert not SupportRequest.objects.exists()


def test_camat_requests_inside_their_kecamatan_only(world, personas, dinkes):
    client = personas["kecamatan_a"].client
    ok = client.post(ADD, form_data(kelurahan=world.kel_a2.code, agency=dinkes.pk))
    assert ok.status_code == 302
    assert SupportRequest.objects.get().kecamatan_id == world.kec_a.code
    refused = client.post(ADD, form_data(kelurahan=world.kel_b.code, agency=dinkes.pk))
    assert refused.status_code == 400
    assert SupportRequest.objects.count() == 1


def test_service_refuses_a_place_outside_the_actors_region(world, users, dinkes):
    req = SupportRequest(election=world.election, kind="tenda", kelurahan=world.kel_b,
                         agency=dinkes, needed_by=NEEDED)
    with pytest.raises(support.ValidationError) as exc:
        support.create_request(req, actor=users["kelurahan_a"])
    assert "kelurahan" in exc.value.message_dict
    req = SupportRequest(election=world.election, kind="tenda", tps=world.tps_outside,
                         agency=dinkes, needed_by=NEEDED)
    with pytest.raises(support.ValidationError) as exc:
        support.create_request(req, actor=users["admin"])
    assert "kecamatan" in exc.value.message_dict  # outside the Pemda
    req = SupportRequest(election=world.election, kind="tenda", kecamatan=world.kec_b,
                         tps=world.tps_a, agency=dinkes, needed_by=NEEDED)
    with pytest.raises(support.ValidationError) as exc:
        support.create_request(req, actor=users["admin"])
    assert "kelurahan" in exc.value.message_dict  # the TPS's kelurahan is not in kec B
    assert not SupportRequest.objects.exists()


def test_admin_requests_anywhere_and_agency_is_suggested_from_the_kind(world, personas, dishub,
                                                                       bpbd):
    client = personas["admin"].client
    for kind, agency in (("kendaraan", dishub), ("genset", bpbd), ("lampu", bpbd)):
        response = client.post(ADD, form_data(kind=kind, kelurahan=world.kel_b.code))
        assert response.status_code == 302
        assert SupportRequest.objects.latest("pk").agency == agency


def test_kinds_without_a_default_agency_need_one(world, personas):
    client = personas["admin"].client
    response = client.post(ADD, form_data(kind="kursi", quantity=40, kelurahan=world.kel_b.code))
    assert response.status_code == 400
    assert "agency" in response.context["form"].errors
    response = client.post(ADD, form_data(kind="lainnya", kelurahan=world.kel_b.code,
                                          agency=Agency.objects.get(short_name="Dinkes").pk))
    assert response.status_code == 400
    assert "description" in response.context["form"].errors
    response = client.post(ADD, form_data(kind="kursi", quantity=0, kelurahan=world.kel_b.code,
                                          agency=Agency.objects.get(short_name="Dinkes").pk))
    assert response.status_code == 400 and "quantity" in response.context["form"].errors
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize("name", ["agency", "pemantau"])
def test_agency_operators_and_observers_do_not_request(world, personas, name):
    assert personas[name].client.get(ADD).status_code == 403
    assert personas[name].client.post(ADD, form_data(kelurahan=world.kel_a.code)).status_code == 403
    assert personas["anonymous"].client.get(ADD).status_code == 302
    assert not SupportRequest.objects.exists()


# --- edit -------------------------------------------------------------------------------------

def test_edit_persona_matrix_while_requested(world, personas, dinkes):
    req = make(world, dinkes, tps=world.tps_a)
    expected = {"admin": 200, "kecamatan_a": 200, "kelurahan_a": 200, "kelurahan_b": 404,
                "agency": 403, "pemantau": 403}
    for name, code in expected.items():
        assert personas[name].client.get(edit(req)).status_code == code, name
    assert personas["anonymous"].client.get(edit(req)).status_code == 302


def test_region_operator_edits_details_only_while_requested(world, personas, dinkes):
    req = make(world, dinkes, tps=world.tps_a, quantity=1)
    client = personas["kelurahan_a"].client
    response = client.post(edit(req), form_data(quantity=3, tps=world.tps_a.pk, agency=dinkes.pk,
                                                version=req.version))
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.quantity == 3 and req.version == 2
    SupportRequest.objects.filter(pk=req.pk).update(status=SupportRequest.Status.APPROVED)
    assert client.get(edit(req)).status_code == 403
    assert client.post(edit(req), form_data(quantity=9, tps=world.tps_a.pk,
                                            version=2)).status_code == 403
    assert personas["admin"].client.get(edit(req)).status_code == 403
    req.refresh_from_db()
    assert req.quantity == 3


def test_stale_edit_is_refused(world, personas, dinkes):
    req = make(world, dinkes, tps=world.tps_a, quantity=1)
    client = personas["kelurahan_a"].client
    page = client.get(edit(req))
    assert page.context["form"].initial["version"] == 1
    # Somebody else saves first.
    assert personas["admin"].client.post(edit(req), form_data(
        quantity=5, kelurahan=world.kel_a.code, tps=world.tps_a.pk, agency=dinkes.pk,
        version=1)).status_code == 302
    response = client.post(edit(req), form_data(quantity=2, tps=world.tps_a.pk, agency=dinkes.pk,
                                                version=1))
    assert response.status_code == 409
    req.refresh_from_db()
    assert (req.quantity, req.version) == (5, 2)


# --- status -----------------------------------------------------------------------------------

def test_status_persona_matrix(world, personas, dinkes):
    req = make(world, dinkes, tps=world.tps_a)
    expected = {"kecamatan_a": 403, "kelurahan_a": 403, "kelurahan_b": 404, "pemantau": 403}
    for name, code in expected.items():
        response = personas[name].client.post(status_url(req), {"status": "disetujui",
                                                                "version": 1})
        assert response.status_code == code, name
    assert personas["anonymous"].client.post(status_url(req), {
        "status": "disetujui", "version": 1}).status_code == 302
    req.refresh_from_db()
    assert (req.status, req.version) == ("diminta", 1)
    # The status form is shown only to those who may use it.
    assert personas["pemantau"].client.get(detail(req)).context["can_change_status"] is False
    assert personas["agency"].client.get(detail(req)).context["can_change_status"] is True


def test_fulfilling_agency_approves_and_fulfils(world, personas, users, dinkes):
    req = make(world, dinkes, tps=world.tps_a)
    client = personas["agency"].client
    response = client.post(status_url(req), {"status": "disetujui", "version": 1})
    assert response.status_code == 302
    response = client.post(status_url(req), {"status": "terpenuhi", "version": 2,
                                             "note": "2 ambulans siaga di Puskesmas Arjuno"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.version) == ("terpenuhi", 3)
    assert req.note == "2 ambulans siaga di Puskesmas Arjuno"
    entries = AuditEntry.objects.filter(action="update", object_id=str(req.pk)).order_by("pk")
    assert [(e.before["status"], e.after["status"]) for e in entries] == [
        ("diminta", "disetujui"), ("disetujui", "terpenuhi")]
    assert entries[0].username == "agency"
    # Fulfilled is final for the agency: it cannot reopen or reject it.
    response = client.post(status_url(req), {"status": "ditolak", "version": 3, "note": "x"})
    assert response.status_code == 400
    req.refresh_from_db()
    assert req.status == "terpenuhi"


def test_another_agency_cannot_change_the_status(world, personas, dishub):
    req = make(world, dishub, kind="kendaraan", kel=world.kel_a)
    response = personas["agency"].client.post(status_url(req), {"status": "disetujui",
                                                                "version": 1})
    assert response.status_code == 403
    operator = User.objects.create_user(username="dishub", password=PASSWORD, role=Role.AGENCY,
                                        agency=dishub)
    assert client_for(operator).post(status_url(req), {"status": "disetujui",
                                                       "version": 1}).status_code == 302


def test_rejection_needs_a_note(world, personas, dinkes):
    req = make(world, dinkes, tps=world.tps_a)
    client = personas["agency"].client
    response = client.post(status_url(req), {"status": "ditolak", "version": 1, "note": "  "})
    assert response.status_code == 400
    assert "note" in response.context["status_form"].errors
    req.refresh_from_db()
    assert (req.status, req.version, req.note) == ("diminta", 1, "")
    assert not AuditEntry.objects.filter(action="update", object_id=str(req.pk)).exists()
    response = client.post(status_url(req), {"status": "ditolak", "version": 1,
                                             "note": "Ambulans habis terpakai di kecamatan lain"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "ditolak" and req.note.startswith("Ambulans habis")


def test_rejection_rule_also_guards_the_service(world, users, dinkes):
    req = make(world, dinkes, tps=world.tps_a)
    with pytest.raises(support.ValidationError) as exc:
        support.change_status(req, "ditolak", actor=users["admin"], expected_version=1)
    assert "note" in exc.value.message_dict
    with pytest.raises(support.PermissionDenied):
        support.change_status(req, "disetujui", actor=users["kelurahan_a"], expected_version=1)


def test_stale_status_change_is_a_conflict(world, personas, users, dinkes):
    req = make(world, dinkes, tps=world.tps_a)
    support.change_status(req, "disetujui", actor=users["admin"], expected_version=1)
    response = personas["agency"].client.post(status_url(req), {"status": "ditolak", "version": 1,
                                                                "note": "tidak ada armada"})
    assert response.status_code == 409
    assert response.context["conflict"]
    req.refresh_from_db()
    assert (req.status, req.version, req.note) == ("disetujui", 2, "")


def test_admin_reopens_a_rejected_request(world, personas, dinkes):
    req = make(world, dinkes, tps=world.tps_a, status="ditolak", note="salah kirim")
    assert personas["agency"].client.post(status_url(req), {
        "status": "diminta", "version": 1}).status_code == 400
    assert personas["admin"].client.post(status_url(req), {
        "status": "diminta", "version": 1}).status_code == 302
    req.refresh_from_db()
    assert req.status == "diminta"


# --- filters, summary, export -----------------------------------------------------------------

def test_filters_and_summary(world, personas, dinkes, dishub):
    now = timezone.now()
    amb = make(world, dinkes, tps=world.tps_a, quantity=2, needed_by=now + datetime.timedelta(hours=5))
    amb_b = make(world, dinkes, kel=world.kel_b, quantity=1, status="disetujui",
                 needed_by=now + datetime.timedelta(days=5))
    car = make(world, dishub, kind="kendaraan", kel=world.kel_a2, quantity=4, status="ditolak",
               note="cukup", needed_by=now + datetime.timedelta(hours=3))
    late = make(world, dishub, kind="kendaraan", kec=world.kec_b, quantity=3,
                needed_by=now - datetime.timedelta(hours=2))
    client = personas["admin"].client

    def ids(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return listed(response)

    assert ids(kind="kendaraan") == {car.pk, late.pk}
    assert ids(status="disetujui") == {amb_b.pk}
    assert ids(agency=dishub.pk) == {car.pk, late.pk}
    assert ids(kecamatan=world.kec_a.code) == {amb.pk, car.pk}
    assert ids(kelurahan=world.kel_b.code) == {amb_b.pk}
    # Open requests needed within 48 h, overdue ones included; rejected ones are not open.
    assert ids(soon="on") == {amb.pk, late.pk}
    assert ids(search="cukup") == {car.pk}
    assert ids(kind="bukan-jenis") == set()

    summary = client.get(LIST).context["summary"]
    rows = {row["kind"]: {c["status"]: (c["count"], c["quantity"]) for c in row["cells"]}
            for row in summary["rows"]}
    assert rows["ambulans"]["diminta"] == (1, 2) and rows["ambulans"]["disetujui"] == (1, 1)
    assert rows["kendaraan"]["ditolak"] == (1, 4) and rows["kendaraan"]["diminta"] == (1, 3)
    assert "tenda" not in rows
    assert (summary["count"], summary["quantity"]) == (4, 10)
    # The summary follows the filters and the scope.
    summary = personas["kelurahan_a"].client.get(LIST).context["summary"]
    assert (summary["count"], summary["quantity"]) == (1, 2)
    summary = client.get(LIST, {"agency": dishub.pk}).context["summary"]
    assert (summary["count"], summary["quantity"]) == (2, 7)


def test_list_flags_and_page_render(world, personas, dinkes):
    now = timezone.now()
    make(world, dinkes, tps=world.tps_a, needed_by=now - datetime.timedelta(hours=1))
    make(world, dinkes, kel=world.kel_a, needed_by=now + datetime.timedelta(hours=10))
    client = personas["admin"].client
    client.cookies["django_language"] = "en"
    body = client.get(LIST).content.decode()
    assert "Overdue" in body and "Needed within 48 h" in body
    assert 'data-testid="support-summary"' in body


def test_export_csv_is_scoped_and_audited(world, personas, dinkes):
    make(world, dinkes, tps=world.tps_a, quantity=2, description="=HYPERLINK(1)")
    make(world, dinkes, kel=world.kel_b, quantity=7)
    response = personas["kelurahan_a"].client.get(LIST, {"export": "csv"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming \
        else response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 2  # header + the one row of kelurahan A
    assert rows[1][2] == "'=HYPERLINK(1)" and rows[1][3] == "2"
    assert AuditEntry.objects.filter(action="export", object_repr="dukungan-logistik").exists()
    response = personas["admin"].client.get(LIST, {"export": "xlsx"})
    assert response.status_code == 200


def test_list_query_count_does_not_grow_with_rows(world, personas, dinkes,
                                                  django_assert_max_num_queries):
    for _ in range(3):
        make(world, dinkes, tps=world.tps_a)
    client = personas["admin"].client
    client.get(LIST)  # warm caches (Pemda, content types)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for _ in range(20):
        make(world, dinkes, kel=world.kel_b)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST)


def test_detail_shows_history_and_edit_link(world, personas, users, dinkes):
    req = make(world, dinkes, tps=world.tps_a)
    support.change_status(req, "disetujui", actor=users["agency"], expected_version=1,
                          note="siaga dari Puskesmas")
    response = personas["kelurahan_a"].client.get(detail(req))
    assert response.status_code == 200
    history = response.context["history"]
    assert history[0]["status_to"] and history[0]["note"] == "siaga dari Puskesmas"
    assert response.context["can_edit"] is False  # approved: details are frozen
    req2 = make(world, dinkes, tps=world.tps_a)
    assert personas["kelurahan_a"].client.get(detail(req2)).context["can_edit"] is True
