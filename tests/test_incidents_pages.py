"""Report pages and API as every persona; situation, map data, exports, period report;
ASN pledges and neutrality cases."""

from __future__ import annotations

import datetime
from io import BytesIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from posko.accounts.models import Agency
from posko.core import schedule
from posko.core.dashboard import cards_for
from posko.core.models import AuditEntry, Job
from posko.core.reports import build_report
from posko.elections.models import Election, Stage
from posko.incidents import services
from posko.incidents.models import Category, IncidentSettings, NeutralityCase, Pledge, Report, State
from posko.incidents.services.escalation import escalation_job
from tests.conftest import PERSONA_NAMES, SEES_KEL_A
from tests.incidents_fixtures import category, make_report, photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    for persona in personas.values():
        persona.client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def reports(world, users):
    a = make_report(world, users["kelurahan_a"], title="Amplop di Klojen")
    b = make_report(world, users["admin"], tps=world.tps_b, title="Amplop di Jodipan",
                    code="keamanan")
    return a, b


def test_list_persona_matrix(world, personas, reports):
    a, b = reports
    for name in PERSONA_NAMES:
        response = personas[name].client.get(reverse("incidents:report_list"))
        if name == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/masuk/")
            continue
        body = response.content.decode()
        assert response.status_code == 200, name
        assert (a.code in body) == (name in SEES_KEL_A), name
    body = personas["kelurahan_a"].client.get(reverse("incidents:report_list")).content.decode()
    assert b.code not in body  # a lurah sees only their area's reports


def test_detail_persona_matrix_and_other_region_404(world, personas, reports):
    a, b = reports
    for name in PERSONA_NAMES:
        response = personas[name].client.get(reverse("incidents:report_detail", args=[a.pk]))
        expected = 200 if name in SEES_KEL_A else (302 if name == "anonymous" else 404)
        assert response.status_code == expected, name
    assert personas["kelurahan_a"].client.get(
        reverse("incidents:report_detail", args=[b.pk])).status_code == 404
    for url_name in ("report_edit", "report_transition", "report_comment", "report_merge"):
        response = personas["kelurahan_a"].client.post(reverse(f"incidents:{url_name}", args=[b.pk]))
        assert response.status_code == 404, url_name


def test_edit_is_for_triagers_only(world, personas, reports):
    a, _b = reports
    url = reverse("incidents:report_edit", args=[a.pk])
    for name in PERSONA_NAMES:
        status = personas[name].client.get(url).status_code
        if name == "anonymous":
            assert status == 302
        elif name in ("admin", "kecamatan_a"):
            assert status == 200, name
        elif name in SEES_KEL_A:
            assert status == 403, name
        else:
            assert status == 404, name


def test_create_page_by_lurah_with_photo(world, personas):
    client = personas["kelurahan_a"].client
    assert client.get(reverse("incidents:report_add")).status_code == 200
    response = client.post(reverse("incidents:report_add"), {
        "category": category("politik_uang").pk, "title": "Amplop",
        "occurred_at": "2024-11-27T08:00", "tps": world.tps_a.pk, "severity": "tinggi",
        "source": "lurah", "description": "Amplop dibagikan di depan TPS.", "files": [photo()]})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert report.kelurahan == world.kel_a and report.evidence.count() == 1
    evidence = report.evidence.get()
    url = reverse("incidents:evidence_download", args=[evidence.pk])
    assert client.get(url).status_code == 200
    assert personas["kelurahan_b"].client.get(url).status_code == 404
    assert personas["pemantau"].client.get(reverse("incidents:report_add")).status_code == 403


def test_create_page_errors_save_nothing(world, personas):
    client = personas["admin"].client
    response = client.post(reverse("incidents:report_add"), {
        "category": category("politik_uang").pk, "title": "Amplop", "occurred_at": "2024-11-27T08:00",
        "severity": "tinggi", "source": "petugas", "description": "pendek"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Say where it happened" in body and "at least 10 characters" in body
    assert Report.objects.count() == 0


def test_transition_page_and_illegal_move(world, personas, reports, users):
    a, _b = reports
    client = personas["admin"].client
    url = reverse("incidents:report_transition", args=[a.pk])
    response = client.post(url, {"state": "ditolak", "note": "", "version": a.version})
    assert response.status_code == 400 and "Say why the report is rejected" in response.content.decode()
    assert client.post(url, {"state": "diverifikasi", "version": a.version}).status_code == 302
    a.refresh_from_db()
    client.post(url, {"state": "selesai", "note": "Beres.", "version": a.version})
    a.refresh_from_db()
    response = client.post(url, {"state": "diverifikasi", "version": a.version})
    assert response.status_code == 400
    assert "cannot be moved to Verified" in response.content.decode()
    assert Report.objects.get(pk=a.pk).state == State.SELESAI
    # A lurah sees the report but may not triage it: 403.
    assert personas["kelurahan_a"].client.post(url, {"state": "baru"}).status_code == 403
    assert client.get(url).status_code == 405  # the panel is on the detail page


def test_stale_transition_is_the_409_detail_page(world, personas, reports):
    a, _b = reports
    url = reverse("incidents:report_transition", args=[a.pk])
    client = personas["admin"].client
    assert client.post(url, {"state": "diverifikasi", "version": a.version}).status_code == 302
    response = client.post(url, {"state": "ditolak", "note": "Bukan pelanggaran.",
                                 "version": a.version})
    body = response.content.decode()
    assert response.status_code == 409 and "Someone else saved" in body and a.code in body
    assert Report.objects.get(pk=a.pk).state == State.DIVERIFIKASI


def test_list_filters_and_export(world, personas, reports):
    a, b = reports
    client = personas["admin"].client
    body = client.get(reverse("incidents:report_list"), {"category": category("keamanan").pk}
                      ).content.decode()
    assert b.code in body and a.code not in body
    body = client.get(reverse("incidents:report_list"), {"kecamatan": world.kec_a.code}).content.decode()
    assert a.code in body and b.code not in body
    response = client.get(reverse("incidents:report_list"), {"export": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="export", object_repr="laporan").exists()
    csv = personas["kelurahan_a"].client.get(reverse("incidents:report_list"), {"export": "csv"})
    text = b"".join(csv.streaming_content).decode()
    assert a.code in text and b.code not in text


def test_stage_filter_offers_the_stages_of_the_request_election(world, personas, users):
    """One FilterSet for the page and the API; its stages are those of ``request.election``."""
    campaign = Stage.objects.create(election=world.election, name="Kampanye",
                                    start_date=datetime.date(2024, 11, 1),
                                    end_date=datetime.date(2024, 11, 30))
    other = Election.objects.create(name="Pilkada lama", voting_date=datetime.date(2020, 12, 9))
    old_stage = Stage.objects.create(election=other, name="Lama", start_date=datetime.date(2020, 9, 1),
                                     end_date=datetime.date(2020, 12, 1))
    inside = make_report(world, users["admin"], stage=campaign)
    outside = make_report(world, users["admin"], title="Tanpa tahapan")
    client = personas["admin"].client
    response = client.get(reverse("incidents:report_list"), {"stage": campaign.pk})
    choices = list(response.context["filterset"].form.fields["stage"].queryset)
    assert choices == [campaign] and old_stage not in choices
    body = response.content.decode()
    assert inside.code in body and outside.code not in body
    api = client.get(reverse("api:incident-report-list"), {"stage": campaign.pk}).json()["results"]
    assert [r["code"] for r in api] == [inside.code]
    assert client.get(reverse("api:incident-report-list"),
                      {"stage": old_stage.pk}).status_code == 400


def test_overdue_filter(world, personas, users):
    old = make_report(world, users["admin"], severity="kritis",
                      now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=3))
    fresh = make_report(world, users["admin"], kelurahan=world.kel_a2, tps=None, title="Baru saja")
    body = personas["admin"].client.get(reverse("incidents:report_list"),
                                        {"overdue": "on"}).content.decode()
    assert old.code in body and fresh.code not in body and "Past target" in body


def test_situation_map_and_period_report_are_scoped(world, personas, reports, users):
    a, b = reports
    world.tps_a.latitude, world.tps_a.longitude = -7.97, 112.63
    world.tps_a.save()
    world.tps_b.latitude, world.tps_b.longitude = -7.95, 112.65
    world.tps_b.save()
    data = personas["kelurahan_a"].client.get(reverse("incidents:map_data")).json()
    assert [(p[0], p[1], p[5]) for p in data["points"]] == [("t", a.pk, 1)]  # one report: its id
    second = make_report(world, users["admin"], title="Amplop kedua", severity="kritis")
    own = make_report(world, users["admin"], kelurahan=world.kel_a2, tps=None, latitude="-7.96",
                      longitude="112.62", title="Titik sendiri")
    data = personas["admin"].client.get(reverse("incidents:map_data")).json()
    rows = {(p[0], p[1]): p for p in data["points"]}
    assert rows[("t", world.tps_a.pk)][4:6] == ["kritis", 2]  # worst severity, count
    assert ("t", b.pk) in rows and ("r", own.pk) in rows and second.pk not in [p[1] for p in data["points"] if p[0] == "r"]
    body = personas["admin"].client.get(reverse("incidents:report_list"),
                                        {"tps": world.tps_a.pk, "open": "on"}).content.decode()
    assert a.code in body and second.code in body and b.code not in body
    body = personas["kelurahan_a"].client.get(reverse("incidents:situation")).content.decode()
    assert "Money politics" in body or "Politik uang" in body
    assert "Keamanan" not in body
    assert personas["admin"].client.get(reverse("incidents:map")).status_code == 200
    pdf = personas["admin"].client.get(reverse("incidents:period_report"), {
        "from": "2020-01-01", "to": "2030-01-01", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = personas["kelurahan_a"].client.get(reverse("incidents:period_report"), {
        "from": "2020-01-01", "to": "2030-01-01", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    cells = {str(c.value) for ws in load_workbook(BytesIO(xlsx.content)) for row in ws.iter_rows()
             for c in row}
    assert a.code in cells and b.code not in cells  # scoped to the lurah
    bad = personas["admin"].client.get(reverse("incidents:period_report"), {"from": "kemarin"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.content.decode()


def test_daily_report_section_and_card(world, users, reports):
    a, b = reports
    today = datetime.date.today()
    report = build_report(today, users["kelurahan_a"], Election.active(), "Laporan harian", keys=["incidents"])
    section = report.sections[0]
    codes = [row[0] for table in section.tables for row in table.rows]
    assert a.code in codes and b.code not in codes
    card = [c for c in cards_for(users["admin"], Election.active()) if c.label == "Open reports"][0]
    assert card.value == "2"
    lurah_card = [c for c in cards_for(users["kelurahan_a"], Election.active()) if c.label == "Open reports"][0]
    assert lurah_card.value == "1"


def test_comment_and_evidence_pages(world, personas, reports):
    a, _b = reports
    client = personas["kelurahan_a"].client
    response = client.post(reverse("incidents:report_comment", args=[a.pk]), {"text": ""})
    assert response.status_code == 400
    client.post(reverse("incidents:report_comment", args=[a.pk]), {"text": "Sudah dicek."})
    assert a.comments.count() == 1
    response = client.post(reverse("incidents:report_evidence", args=[a.pk]),
                           {"files": [photo()]})
    assert response.status_code == 302 and a.evidence.count() == 1
    assert personas["pemantau"].client.post(reverse("incidents:report_comment", args=[a.pk]),
                                            {"text": "x"}).status_code == 403


def test_api_persona_scope_create_and_transition(world, personas, reports, users):
    a, b = reports
    url = reverse("api:incident-report-list")
    codes = {r["code"] for r in personas["kelurahan_a"].client.get(url).json()["results"]}
    assert codes == {a.code}
    assert personas["kelurahan_a"].client.get(
        reverse("api:incident-report-detail", args=[b.pk])).status_code == 404
    assert personas["anonymous"].client.get(url).status_code in (401, 403)
    payload = {"category": "politik_uang", "tps": world.tps_a.pk, "title": "Amplop",
               "occurred_at": "2024-11-27T08:00:00+07:00", "severity": "tinggi",
               "description": "Amplop dibagikan di depan TPS 001."}
    response = personas["kelurahan_a"].client.post(url, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "baru" and created["kecamatan"] == world.kec_a.code
    response = personas["kelurahan_a"].client.post(url, {**payload, "tps": world.tps_b.pk},
                                                   content_type="application/json")
    # Another region's TPS is answered like one that does not exist (tests/test_api_scope_writes).
    assert response.status_code == 400
    assert response.json() == {"tps": [f'Invalid pk "{world.tps_b.pk}" - object does not exist.']}
    assert personas["pemantau"].client.post(url, payload,
                                            content_type="application/json").status_code == 403
    move = reverse("api:incident-report-transition", args=[created["id"]])
    assert personas["kelurahan_a"].client.post(move, {"state": "diverifikasi"},
                                               content_type="application/json").status_code == 403
    response = personas["admin"].client.post(move, {"state": "diverifikasi"},
                                             content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "diverifikasi"
    response = personas["admin"].client.post(move, {"state": "baru"},
                                             content_type="application/json")
    assert response.status_code == 400 and "cannot be moved" in response.content.decode()


def test_api_create_on_first_use_installs_the_categories(world, personas):
    assert not Category.objects.exists()
    payload = {"category": "politik_uang", "tps": world.tps_a.pk, "title": "Amplop",
               "occurred_at": "2024-11-27T08:00:00+07:00", "severity": "tinggi",
               "description": "Amplop dibagikan di depan TPS 001."}
    response = personas["kelurahan_a"].client.post(reverse("api:incident-report-list"), payload,
                                                   content_type="application/json")
    assert response.status_code == 201, response.content
    assert Category.objects.filter(code="politik_uang").exists()
    response = personas["kelurahan_a"].client.post(reverse("api:incident-report-list"),
                                                   {**payload, "category": "tidak_ada"},
                                                   content_type="application/json")
    assert response.status_code == 400 and "category" in response.json()


def test_api_create_query_count(world, personas, django_assert_num_queries, settings):
    """Filing a report from the field app: session, user, TPS, the row and its audit entry.
    The election, the category, the settings and the stage of the day are per-process
    constants (core.constants), and the tracking code is not looked up before the insert
    (13 queries before the category existence check and the separate stage query went,
    11 before the constants). A serious report tells readiness its TPS changed: as in
    production (``POSKO_FANOUT=job``) that is one job queued after the commit (not counted
    here: the test's transaction never commits; tests/test_readiness_wiring.py), not the
    recompute inside the request."""
    settings.POSKO_FANOUT = "job"
    category("politik_uang")
    IncidentSettings.for_election(world.election)
    client = personas["kelurahan_a"].client
    payload = {"category": "politik_uang", "tps": world.tps_a.pk, "title": "Amplop",
               "occurred_at": "2024-11-27T08:00:00+07:00", "severity": "tinggi",
               "description": "Amplop dibagikan di depan TPS 001."}
    client.post(reverse("api:incident-report-list"), payload, content_type="application/json")
    # + SAVEPOINT/RELEASE of the service's atomic block inside the test's transaction
    with django_assert_num_queries(7):
        response = client.post(reverse("api:incident-report-list"), payload,
                               content_type="application/json")
    assert response.status_code == 201


def test_pledge_dashboard_and_rules(world, personas, users):
    dinkes = users["agency"].agency
    satpol = Agency.objects.create(name="Satuan Polisi Pamong Praja", short_name="Satpol PP")
    Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")
    client = personas["admin"].client
    response = client.post(reverse("incidents:pledge_add"), {
        "agency": dinkes.pk, "asn_total": "100", "asn_covered": "120", "signed_on": "2024-09-10",
        "signatory": "dr. Contoh"})
    assert response.status_code == 400 and "cannot cover more ASN" in response.content.decode()
    assert Pledge.objects.count() == 0
    client.post(reverse("incidents:pledge_add"), {
        "agency": dinkes.pk, "asn_total": "100", "asn_covered": "100", "signed_on": "2024-09-10",
        "signatory": "dr. Contoh"})
    client.post(reverse("incidents:pledge_add"), {
        "agency": satpol.pk, "asn_total": "200", "asn_covered": "150", "signed_on": "2024-09-11",
        "signatory": "Kasatpol"})
    assert Pledge.objects.count() == 2
    rows = {r["agency"].short_name: r["problem"] for r in services.pledge_overview(world.election)}
    assert rows == {"Dinkes": "", "Satpol PP": "too_few", "Dishub": "unsigned"}
    body = personas["pemantau"].client.get(reverse("incidents:pledge_list")).content.decode()
    assert "Not signed" in body and "Covers too few" in body
    assert personas["kecamatan_a"].client.get(reverse("incidents:pledge_add")).status_code == 403


def test_neutrality_case_rules_masking_and_visibility(world, personas, users):
    dinkes = users["agency"].agency
    other = Agency.objects.create(name="Dinas Pendidikan", short_name="Disdik")
    client = personas["admin"].client
    services.ensure_acts(world.election)
    shared = services.acts_for(world.election).get(code="KE-04")
    data = {"agency": dinkes.pk, "asn_name": "Budi Santoso", "asn_position": "Staf",
            "occurred_on": "2024-10-10", "act": "Membagikan unggahan paslon.",
            "prohibited_act": shared.pk, "breach_type": "kode_etik",
            "sanction": "disiplin_berat", "sanction_date": "2024-11-01"}
    response = client.post(reverse("incidents:case_add"), data)
    assert response.status_code == 400 and "brings a moral sanction" in response.content.decode()
    assert NeutralityCase.objects.count() == 0
    response = client.post(reverse("incidents:case_add"), {**data, "sanction": "moral_terbuka"})
    assert response.status_code == 302
    case = NeutralityCase.objects.get()
    assert case.status == NeutralityCase.Status.DISANKSI
    NeutralityCase.objects.create(election=world.election, agency=other, asn_name="Tuti",
                                  act="Kampanye", occurred_on=datetime.date(2024, 10, 1),
                                  breach_type="disiplin")
    # Masked for the admin too (revealed with a reason, tests/test_personal_data.py).
    admin_body = client.get(case.get_absolute_url()).content.decode()
    assert "Budi Santoso" not in admin_body and "B*** S******" in admin_body
    body = personas["pemantau"].client.get(case.get_absolute_url()).content.decode()
    assert "Budi Santoso" not in body and "B*** S******" in body
    agency_list = personas["agency"].client.get(reverse("incidents:case_list")).content.decode()
    assert "Dinkes" in agency_list and "Disdik" not in agency_list
    assert personas["kelurahan_a"].client.get(case.get_absolute_url()).status_code == 404
    api = personas["pemantau"].client.get(reverse("api:incident-case-list")).json()["results"]
    assert {c["asn_name"] for c in api} == {"B*** S******", "T***"}
    assert "asn_name" not in AuditEntry.objects.filter(
        object_id=str(case.pk), action="create").latest("pk").after
    stats = client.get(reverse("incidents:case_list")).content.decode()
    assert "Dinkes" in stats and "Disdik" in stats
    # One filter for the page and the API: ?type= (an unknown type is ignored).
    ethics = client.get(reverse("incidents:case_list"), {"type": "kode_etik"})
    assert [c.pk for c in ethics.context["cases"]] == [case.pk]
    assert len(client.get(reverse("incidents:case_list"), {"type": "x"}).context["cases"]) == 2
    api = client.get(reverse("api:incident-case-list"), {"type": "disiplin"}).json()["results"]
    assert [c["asn_name"] for c in api] == ["T***"]
    # An API update sends the version it read: a stale one is the core 409 with the current one.
    url = reverse("api:incident-case-detail", args=[case.pk])
    response = client.patch(url, {"asn_position": "Kepala Seksi", "version": case.version},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["version"] == case.version + 1
    response = client.patch(url, {"asn_position": "Staf", "version": case.version},
                            content_type="application/json")
    assert response.status_code == 409 and response.json()["current_version"] == case.version + 1
    assert NeutralityCase.objects.get(pk=case.pk).asn_position == "Kepala Seksi"


def test_case_from_a_neutrality_report(world, personas, users):
    report = make_report(world, users["admin"], code="netralitas_asn", title="Camat kampanye",
                         agency=users["agency"].agency)
    body = personas["admin"].client.get(report.get_absolute_url()).content.decode()
    assert reverse("incidents:case_add") + f"?report={report.pk}" in body
    page = personas["admin"].client.get(reverse("incidents:case_add"), {"report": report.pk})
    assert page.status_code == 200 and "Warga menerima amplop" in page.content.decode()


def test_settings_and_categories_are_for_admins(world, personas):
    url = reverse("incidents:settings")
    assert personas["kecamatan_a"].client.get(url).status_code == 403
    client = personas["admin"].client
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if name in form.fields}
    response = client.post(url, {**data, "respond_kritis": "0"})
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()
    response = client.post(url, {**data, "respond_kritis": "30"})
    assert response.status_code == 302

    assert IncidentSettings.for_election(world.election).respond_kritis == 30
    # A form loaded before that save is stale: 409, nothing overwritten.
    response = client.post(url, {**data, "respond_kritis": "45"})
    assert response.status_code == 409 and "Someone else saved" in response.content.decode()
    assert IncidentSettings.for_election(world.election).respond_kritis == 30
    assert personas["kelurahan_a"].client.get(reverse("incidents:category_add")).status_code == 403
    response = client.post(reverse("incidents:category_add"), {
        "code": "hoaks", "name": "Hoaks", "indicator": "", "order": "200", "is_active": "on"})
    assert response.status_code == 302
    body = personas["kelurahan_a"].client.get(reverse("incidents:report_add")).content.decode()
    assert "Hoaks" in body


def test_escalated_report_shows_its_badge(world, personas, users):
    report = make_report(world, users["admin"], severity="kritis",
                         now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    services.escalate()
    body = personas["admin"].client.get(report.get_absolute_url()).content.decode()
    assert "Escalated" in body and "Past target" in body
    assert AuditEntry.objects.filter(object_id=str(report.pk), message="escalation: response").exists()


def test_escalation_runs_every_minute_in_the_worker_once(world, users,
                                                         django_capture_on_commit_callbacks):
    """No cron: the schedule queues the escalation job once per minute in the cluster; a
    report past its target is escalated once however often the job runs."""
    report = make_report(world, users["admin"], severity="kritis",
                         now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = schedule.run_due("worker-1", now=now)
        same_minute = schedule.run_due("worker-2", now=now)
        schedule.run_due("worker-2", now=now + datetime.timedelta(minutes=1))
    assert "incidents.escalate" in first and "incidents.escalate" not in same_minute
    runs = Job.objects.filter(kind="incidents.escalate").order_by("pk")
    assert [job.status for job in runs] == ["done", "done"], [job.error for job in runs]
    assert AuditEntry.objects.filter(object_id=str(report.pk),
                                     message="escalation: response").count() == 1
    # The job does what ``posko escalate`` does: the first run escalated the report and
    # notified the admins, the second found nothing new.
    assert runs[0].message.startswith("Escalated: 1 response, 0 resolution;"), runs[0].message
    assert runs[1].message == "Escalated: 0 response, 0 resolution; 0 notifications sent."
    report.refresh_from_db()
    assert report.escalated_response_at is not None


def test_escalation_job_and_command_escalate_the_same(world, users, capsys):
    """The command and the job share one function: a report escalated by the job is not
    escalated again by the command, and the other way round."""
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)
    first = make_report(world, users["admin"], severity="kritis", now=old)
    call_command("escalate")
    assert "escalated: 1 response" in capsys.readouterr().out
    second = make_report(world, users["admin"], severity="kritis", now=old)
    assert escalation_job(None).startswith("Escalated: 1 response")
    call_command("escalate")
    assert "escalated: 0 response, 0 resolution; notifications sent: 0" in capsys.readouterr().out
    assert escalation_job(None).startswith("Escalated: 0 response")
    for report in (first, second):
        assert AuditEntry.objects.filter(object_id=str(report.pk),
                                         message="escalation: response").count() == 1


def test_public_reporter_is_masked_for_everyone(world, personas):
    report = Report(election=world.election, category=category("politik_uang"), tps=world.tps_a,
                    title="Amplop", description="Amplop dibagikan di dekat TPS.",
                    occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
                    reporter_name="Siti Rahmawati", reporter_contact="0812-0000-1111")
    services.submit_public(report, ip="10.9.9.9")
    # The admin too sees the masks until a reveal with a reason (tests/test_personal_data.py).
    admin = personas["admin"].client.get(report.get_absolute_url()).content.decode()
    assert "Siti" not in admin and "0812-0000-1111" not in admin and "0812" in admin
    assert 'data-testid="reveal"' in admin
    observer = personas["pemantau"].client.get(report.get_absolute_url()).content.decode()
    assert "Siti" not in observer and "1111" not in observer and "S*** R" + "*" * 8 in observer
    assert 'data-testid="reveal"' not in observer
    after = AuditEntry.objects.filter(object_id=str(report.pk), action="create").latest("pk").after
    assert "reporter_name" not in after and "reporter_contact" not in after


def test_triage_edit_of_a_public_report(world, personas, users):
    report = Report(election=world.election, category=category("politik_uang"), tps=world.tps_a,
                    title="Amplop", description="Amplop dibagikan di dekat TPS.",
                    occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1))
    services.submit_public(report, ip="10.9.9.8")
    url = reverse("incidents:report_edit", args=[report.pk])
    client = personas["kecamatan_a"].client
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update({"category": category("sara").pk, "severity": "kritis", "tps": world.tps_a.pk,
                 "occurred_at": "2024-11-27T08:00", "involves_violence": ""})
    data.pop("involves_violence")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    report.refresh_from_db()
    assert report.category.code == "sara" and report.severity == "kritis"
    assert report.source == Report.Source.PUBLIC
    assert report.response_due_at == report.created_at + datetime.timedelta(hours=1)
    # Someone else saved in between: nothing is saved, the page says so.
    stale = {**data, "version": report.version - 1, "severity": "rendah"}
    response = client.post(url, stale)
    assert response.status_code == 409 and "Someone else saved" in response.content.decode()
    assert Report.objects.get(pk=report.pk).severity == "kritis"


def test_admin_edits_a_category_with_audit_and_a_duplicate_code_is_refused(world, personas):
    admin = personas["admin"].client
    money = category("politik_uang")
    edit = reverse("incidents:category_edit", args=[money.pk])
    assert personas["kelurahan_a"].client.get(edit).status_code == 403
    assert admin.get(reverse("incidents:category_edit", args=[999999])).status_code == 404
    data = {"code": "politik_uang", "name": "Politik uang (serangan fajar)",
            "indicator": money.indicator, "order": "30", "is_active": "on"}
    assert admin.post(edit, data).status_code == 302
    money.refresh_from_db()
    assert money.name == "Politik uang (serangan fajar)"
    entry = AuditEntry.objects.filter(action="update", object_id=str(money.pk)).latest("pk")
    assert entry.after["name"] == "Politik uang (serangan fajar)"

    with translation.override("en"):
        response = admin.post(edit, {**data, "code": "keamanan", "name": "Ganti"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    money.refresh_from_db()
    assert (money.code, money.name) == ("politik_uang", "Politik uang (serangan fajar)")
