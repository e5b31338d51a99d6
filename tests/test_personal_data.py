"""Personal data under UU PDP 27/2022 (issue 16): masked by default for everyone; revealed one
object at a time with a reason of at least 10 characters, by users with the personal-data
permission only, each reveal one audit row (core.personal); the same through the API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from posko.core import personal
from posko.core.models import AuditEntry
from posko.incidents import services as incident_services
from posko.incidents.models import NeutralityCase, Report
from tests.incidents_fixtures import category
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db

REASON = "Klarifikasi laporan oleh Bawaslu, surat 12/2024"


def views():
    return AuditEntry.objects.filter(action="view")


# --- core -------------------------------------------------------------------------------------

def test_masks():
    assert personal.mask_nik("3573021705850001") == "3573" + "•" * 8 + "0001"
    assert personal.mask_phone("081234567890") == "0812" + "•" * 5 + "890"
    assert personal.mask_phone("siti@example.org") == "s•••@•••"
    assert personal.mask_phone("12345") == "•••••"
    assert personal.mask_name("Budi  Santoso") == "B*** S******"
    assert personal.mask_address("Jl. Melati 4, RT 02/RW 05") == "•••"
    assert personal.mask_address("  ") == "" and personal.mask_name("") == ""


def test_reveal_refuses_without_permission_or_reason_and_records_nothing(world, users):
    read = []

    def values():
        read.append(1)
        return {"x": "clear"}

    with pytest.raises(PermissionError):
        personal.reveal(world.election, actor=users["pemantau"], reason=REASON, fields=["x"],
                        read=values)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        personal.reveal(world.election, actor=users["admin"], reason="  too   short ",
                        fields=["x"], read=values)
    assert "at least 10 characters" in exc.value.message_dict["reason"][0]
    assert not read and not views().exists()
    assert personal.reveal(world.election, actor=users["admin"], reason=REASON, fields=["x"],
                           read=values) == {"x": "clear"}
    entry = views().get()
    assert entry.user == users["admin"] and entry.after == {"data": ["x"], "reason": REASON}


# --- workers: the page and the API ------------------------------------------------------------

@pytest.fixture
def worker(world, users):
    return make_worker(users["admin"], world.tps_a, name="Siti Aminah",
                       address="Jl. Melati 4, RT 02/RW 05")


def test_worker_page_masks_the_address_and_reveals_it_with_a_reason(world, users, personas,
                                                                    worker):
    client = personas["admin"].client
    page = client.get(worker.get_absolute_url()).content.decode()
    assert "Jl. Melati" not in page and worker.nik not in page and worker.phone not in page
    url = reverse("workers:worker_reveal", args=[worker.pk])
    with translation.override("en"):
        short = client.post(url, {"reason": "cek data"}, HTTP_ACCEPT_LANGUAGE="en")
    assert short.status_code == 400 and "Jl. Melati" not in short.content.decode()
    assert worker.nik not in short.content.decode() and not views().exists()
    revealed = client.post(url, {"reason": REASON})
    body = revealed.content.decode()
    assert revealed.status_code == 200 and revealed["Cache-Control"] == "no-store"
    assert "Jl. Melati 4" in body and worker.nik in body and worker.phone in body
    entry = views().get()
    assert entry.object_id == str(worker.pk) and entry.after["reason"] == REASON
    assert entry.after["data"] == ["nik", "phone", "full_name", "address"]
    # No permission: 403; another region (even with the permission): 404; nothing recorded.
    assert personas["kelurahan_a"].client.post(url, {"reason": REASON}).status_code == 403
    other = users["kelurahan_b"]
    other.personal_data_access = True
    other.save()
    assert personas["kelurahan_b"].client.post(url, {"reason": REASON}).status_code == 404
    assert views().count() == 1


def test_worker_api_masks_name_and_address_and_reveals_through_an_audited_action(
        world, users, personas, worker):
    client = personas["admin"].client
    listed = client.get(reverse("api:worker-list")).json()["results"]
    assert listed[0]["full_name"] == "S*** A*****" and listed[0]["address"] == "•••"
    detail = client.get(reverse("api:worker-detail", args=[worker.pk])).content.decode()
    assert "Siti" not in detail and "Melati" not in detail and worker.nik not in detail
    url = reverse("api:worker-reveal", args=[worker.pk])
    short = client.post(url, {"reason": "cek"}, content_type="application/json")
    assert short.status_code == 400 and "reason" in short.json() and not views().exists()
    missing = client.post(url, {}, content_type="application/json")
    assert missing.status_code == 400 and not views().exists()
    denied = personas["kelurahan_a"].client.post(url, {"reason": REASON},
                                                 content_type="application/json")
    assert denied.status_code == 403 and "Siti" not in denied.content.decode()
    assert personas["kelurahan_b"].client.post(
        url, {"reason": REASON}, content_type="application/json").status_code == 404
    assert personas["anonymous"].client.post(
        url, {"reason": REASON}, content_type="application/json").status_code in (401, 403)
    assert not views().exists()
    revealed = client.post(url, {"reason": REASON}, content_type="application/json")
    assert revealed.status_code == 200 and revealed["Cache-Control"] == "no-store"
    assert revealed.json() == {"nik": worker.nik, "phone": worker.phone,
                               "full_name": "Siti Aminah", "address": "Jl. Melati 4, RT 02/RW 05"}
    assert views().get().after["reason"] == REASON


# --- incidents: public reporters and ASN ------------------------------------------------------

@pytest.fixture
def public_report(world):
    report = Report(election=world.election, category=category("politik_uang"), tps=world.tps_a,
                    title="Amplop", description="Amplop dibagikan di dekat TPS.",
                    occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
                    reporter_name="Rahmat Hidayat", reporter_contact="085700001234")
    incident_services.submit_public(report, ip="10.9.9.7")
    return report


def test_report_reporters_are_revealed_with_a_reason_only(world, users, personas, public_report):
    url = reverse("incidents:report_reveal", args=[public_report.pk])
    client = personas["admin"].client
    page = client.get(public_report.get_absolute_url()).content.decode()
    assert "Rahmat" not in page and "085700001234" not in page and "R***** H******" in page
    short = client.post(url, {"reason": "perlu"})
    assert short.status_code == 400 and "Rahmat" not in short.content.decode()
    assert 'data-testid="reveal" open' in short.content.decode() and not views().exists()
    assert personas["pemantau"].client.post(url, {"reason": REASON}).status_code == 403
    assert personas["kelurahan_b"].client.post(url, {"reason": REASON}).status_code == 404
    assert personas["kelurahan_a"].client.get(url).status_code == 405
    assert not views().exists()
    revealed = client.post(url, {"reason": REASON})
    body = revealed.content.decode()
    assert revealed.status_code == 200 and revealed["Cache-Control"] == "no-store"
    assert "Rahmat Hidayat" in body and "085700001234" in body
    entry = views().get()
    assert entry.object_id == str(public_report.pk) and entry.after == {
        "data": ["reporter_name", "reporter_contact"], "reason": REASON}
    # The next plain view is masked again.
    assert "Rahmat" not in client.get(public_report.get_absolute_url()).content.decode()


@pytest.fixture
def case(world, users):
    from posko.accounts.models import Agency

    agency = Agency.objects.get(short_name="Dinkes")
    return NeutralityCase.objects.create(election=world.election, agency=agency,
                                         asn_name="Dewi Lestari", act="Kampanye di medsos",
                                         occurred_on=datetime.date(2024, 10, 1),
                                         breach_type="disiplin")


def test_case_asn_is_masked_on_list_detail_export_and_api_and_revealed_with_a_reason(
        world, users, personas, case):
    client = personas["admin"].client
    for response in (client.get(reverse("incidents:case_list")),
                     client.get(case.get_absolute_url()),
                     client.get(reverse("api:incident-case-list")),
                     client.get(reverse("api:incident-case-detail", args=[case.pk]))):
        assert response.status_code == 200 and "Dewi" not in response.content.decode()
    export = client.get(reverse("incidents:case_list"), {"export": "csv"})
    assert "Dewi" not in b"".join(export.streaming_content).decode("utf-8-sig")
    url = reverse("incidents:case_reveal", args=[case.pk])
    short = client.post(url, {"reason": "x" * 9})
    assert short.status_code == 400 and "Dewi" not in short.content.decode()
    assert personas["pemantau"].client.post(url, {"reason": REASON}).status_code == 403
    assert personas["kelurahan_a"].client.post(url, {"reason": REASON}).status_code == 404
    assert not views().exists()
    revealed = client.post(url, {"reason": REASON})
    assert revealed.status_code == 200 and "Dewi Lestari" in revealed.content.decode()
    assert views().get().after["data"] == ["asn_name"]


def test_case_api_reveal(world, users, personas, case):
    url = reverse("api:incident-case-reveal", args=[case.pk])
    client = personas["admin"].client
    assert client.post(url, {"reason": "short"}, content_type="application/json").status_code == 400
    assert personas["pemantau"].client.post(
        url, {"reason": REASON}, content_type="application/json").status_code == 403
    assert personas["kelurahan_a"].client.post(
        url, {"reason": REASON}, content_type="application/json").status_code == 404
    assert not views().exists()
    revealed = client.post(url, {"reason": REASON}, content_type="application/json")
    assert revealed.status_code == 200 and revealed.json() == {"asn_name": "Dewi Lestari"}
    entry = views().get()
    assert entry.object_id == str(case.pk) and entry.after["reason"] == REASON


def test_case_edit_form_does_not_send_the_name_and_keeps_it_when_left_empty(world, personas,
                                                                             case):
    client = personas["admin"].client
    url = reverse("incidents:case_edit", args=[case.pk])
    form = client.get(url)
    assert form.status_code == 200 and "Dewi" not in form.content.decode()
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update({"agency": case.agency_id, "asn_name": "", "asn_position": "Staf",
                 "occurred_on": "2024-10-01", "act": case.act, "breach_type": "disiplin"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    case.refresh_from_db()
    assert case.asn_name == "Dewi Lestari" and case.asn_position == "Staf"
    response = client.post(url, {**data, "asn_name": "Dewi Lestari Putri",
                                 "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.asn_name == "Dewi Lestari Putri"
