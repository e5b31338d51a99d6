"""The public report form and status page (no login), and their API twins."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from posko.incidents import services
from posko.incidents.models import Comment, Evidence, IncidentSettings, Report, State
from tests.incidents_fixtures import category, exe_as_jpg, photo

pytestmark = pytest.mark.django_db
FORM = "incidents:public_report"
STATUS = "incidents:public_status"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def big_video():
    """A real 31 MB MP4 (the limit is 30 MB; the 100 MB case is in the service tests)."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    return SimpleUploadedFile("video.mp4", head + bytes(31 * 1024 * 1024), content_type="video/mp4")


def form_data(world, **extra):
    data = {"category": category("politik_uang").pk, "kelurahan": world.kel_a.code,
            "tps_number": "1", "occurred_at": (timezone.localtime() - datetime.timedelta(hours=2))
            .strftime("%Y-%m-%dT%H:%M"), "title": "Serangan fajar",
            "description": "Tim sukses membagikan amplop kepada warga di dekat TPS.",
            "reporter_name": "Siti Rahmawati", "reporter_contact": "0812-0000-1111",
            "website": ""}
    data.update(extra)
    return data


def en_client(**kwargs) -> Client:
    client = Client(**kwargs)
    client.cookies["django_language"] = "en"
    return client


def test_public_form_works_without_login_and_gives_a_code(world):
    client = en_client(enforce_csrf_checks=False)
    page = client.get(reverse(FORM))
    assert page.status_code == 200 and b'name="website"' in page.content
    response = client.post(reverse(FORM), {**form_data(world), "files": [photo()]})
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"] == reverse(STATUS) + f"?kode={report.code}&baru=1"
    assert report.source == Report.Source.PUBLIC and report.tps == world.tps_a
    assert report.reporter_name == "Siti Rahmawati" and report.client_hash
    assert report.evidence.count() == 1
    status = client.get(response["Location"])
    body = status.content.decode()
    assert report.code in body and "New" in body
    assert "Siti" not in body and "0812" not in body


def test_status_page_hides_names_and_internal_notes(world, users):
    client = en_client()
    client.post(reverse(FORM), form_data(world))
    report = Report.objects.get()
    services.add_comment(report, "RAHASIA internal: cek rumah pak RT", actor=users["admin"])
    services.transition(report, State.DIVERIFIKASI, actor=users["admin"],
                        public_note="Laporan sedang diperiksa.")
    body = client.get(reverse(STATUS), {"kode": report.code.lower()}).content.decode()
    assert "Verified" in body and "Laporan sedang diperiksa." in body
    for secret in ("RAHASIA", "Siti", "0812", "admin"):
        assert secret not in body


def test_wrong_code_gives_no_hint(world):
    client = en_client()
    client.post(reverse(FORM), form_data(world))
    wrong = client.get(reverse(STATUS), {"kode": "LP-AAAA-BBBB"})
    garbage = client.get(reverse(STATUS), {"kode": "<script>"})
    assert wrong.status_code == garbage.status_code == 404
    def strip(response):
        text = response.content.decode()
        for variant in ("LP-AAAA-BBBB", "&lt;script&gt;", "%3Cscript%3E"):
            text = text.replace(variant, "")
        return re.sub(r"[A-Za-z0-9]{64}", "", text)  # CSRF tokens

    assert strip(wrong) == strip(garbage)
    assert "No report can be shown for this code" in wrong.content.decode()


def test_honeypot_saves_nothing(world):
    response = en_client().post(reverse(FORM), form_data(world, website="http://spam.example"))
    assert response.status_code == 200 and Report.objects.count() == 0


def test_csrf_is_still_required(world):
    response = en_client(enforce_csrf_checks=True).post(reverse(FORM), form_data(world))
    assert response.status_code == 403 and Report.objects.count() == 0


def test_fifty_submissions_a_minute_are_refused_after_the_limit(world):
    conf = IncidentSettings.for_election(world.election)
    client = en_client()
    codes = []
    for i in range(50):
        response = client.post(reverse(FORM), form_data(world, title=f"Laporan {i}"))
        codes.append(response.status_code)
    assert codes[:conf.public_limit] == [302] * conf.public_limit
    assert set(codes[conf.public_limit:]) == {429}
    assert Report.objects.count() == conf.public_limit
    refused = client.post(reverse(FORM), form_data(world))
    assert "Too many reports were sent from your connection" in refused.content.decode()
    assert "Nothing was saved" in refused.content.decode()
    # Another client is not affected.
    other = en_client(REMOTE_ADDR="10.1.2.3").post(reverse(FORM), form_data(world))
    assert other.status_code == 302


def test_bad_inputs_each_have_a_message_and_save_nothing(world):
    client = en_client()
    cases = [
        (form_data(world, kelurahan=world.kel_outside.code), "Select a valid choice"),
        (form_data(world, tps_number="99"), "There is no TPS with this number"),
        ({**form_data(world), "files": [exe_as_jpg()]}, "not a file of an accepted type"),
        ({**form_data(world), "files": [big_video()]}, "too large"),
        (form_data(world, description=""), "This field is required"),
        (form_data(world, occurred_at=(timezone.localtime() + datetime.timedelta(days=2))
                   .strftime("%Y-%m-%dT%H:%M")), "cannot be in the future"),
    ]
    for data, message in cases:
        response = client.post(reverse(FORM), data)
        assert response.status_code == 400, message
        assert message in response.content.decode(), message
    assert Report.objects.count() == 0 and Evidence.objects.count() == 0


def test_script_in_description_is_shown_as_text(world, users, personas):
    en_client().post(reverse(FORM), form_data(
        world, description="<script>alert('x')</script> amplop dibagikan"))
    report = Report.objects.get()
    personas["admin"].client.cookies["django_language"] = "en"
    body = personas["admin"].client.get(report.get_absolute_url()).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body


def test_the_public_sees_only_their_own_report(world):
    a, b = en_client(REMOTE_ADDR="10.0.0.1"), en_client(REMOTE_ADDR="10.0.0.2")
    a.post(reverse(FORM), form_data(world, title="Laporan A"))
    b.post(reverse(FORM), form_data(world, title="Laporan B", category=category("sara").pk))
    ra, rb = Report.objects.get(title="Laporan A"), Report.objects.get(title="Laporan B")
    body = a.get(reverse(STATUS), {"kode": ra.code}).content.decode()
    assert "Money politics" in body or "Politik uang" in body
    assert "SARA" not in body and rb.code not in body
    # No list, no detail for the public: the internal pages need a login.
    assert a.get(reverse("incidents:report_list")).status_code == 302
    assert a.get(reverse("incidents:report_detail", args=[ra.pk])).status_code == 302


def test_public_api_submit_and_status(world, users):
    client = en_client()
    payload = {"category": "politik_uang", "kelurahan": world.kel_a.code, "tps_number": 1,
               "occurred_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
               "title": "Amplop", "description": "Amplop dibagikan di gang sebelah TPS.",
               "reporter_name": "Rahasia"}
    response = client.post(reverse("api:incident-public-submit"), payload,
                           content_type="application/json")
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert "reporter_name" not in response.json()
    status = client.get(reverse("api:incident-public-status", args=[code]))
    assert status.status_code == 200 and status.json()["state"] == "baru"
    assert "Rahasia" not in status.content.decode()
    assert client.get(reverse("api:incident-public-status", args=["LP-ZZZZ-ZZZZ"])).status_code == 404
    outside = client.post(reverse("api:incident-public-submit"),
                          {**payload, "kelurahan": world.kel_outside.code},
                          content_type="application/json")
    assert outside.status_code == 400 and "outside the Pemda" in outside.content.decode()
    for _i in range(10):
        last = client.post(reverse("api:incident-public-submit"), payload,
                           content_type="application/json")
    assert last.status_code == 429 and "Too many reports" in last.content.decode()
    assert Report.objects.count() == IncidentSettings.for_election(world.election).public_limit
    assert Comment.objects.count() == 0


def test_merged_report_code_shows_the_survivor_without_its_code(world, users):
    a, b = en_client(REMOTE_ADDR="10.0.0.5"), en_client(REMOTE_ADDR="10.0.0.6")
    a.post(reverse(FORM), form_data(world, title="Pertama"))
    b.post(reverse(FORM), form_data(world, title="Kedua"))
    first, second = Report.objects.get(title="Pertama"), Report.objects.get(title="Kedua")
    services.merge(second, first, actor=users["admin"])
    services.transition(first, State.DIVERIFIKASI, actor=users["admin"])
    body = b.get(reverse(STATUS), {"kode": second.code}).content.decode()
    assert "Verified" in body and second.code in body
    assert first.code not in body  # the other reporter's code stays secret
