"""Voting day at each TPS: reports move a TPS forward (never back), times are checked against
voting day and the closing time, problems open incident reports, the board counts states,
late openings and silent TPS per region; the field API needs an Idempotency-Key and answers
404 outside the caller's scope."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from posko.core.models import AuditEntry
from posko.elections.models import Tps
from posko.incidents.models import Report
from posko.voting import services
from posko.voting.models import StatusEvent, TpsDay

pytestmark = pytest.mark.django_db

VOTING_DAY = datetime.date(2024, 11, 27)


def at(hour, minute=0, day=VOTING_DAY):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def report(world, users, tps=None, who="kelurahan_a", now=None, **values):
    values.setdefault("happened_at", now)
    return services.record_report(tps or world.tps_a, actor=users[who], election=world.election,
                                  now=now or values["happened_at"], **values)


def messages(error: ValidationError) -> dict:
    return error.message_dict


def test_a_tps_moves_forward_with_its_times_and_officers(world, users):
    report(world, users, state="siap", now=at(16, day=VOTING_DAY - datetime.timedelta(days=1)))
    report(world, users, state="dibuka", kpps_present=7, linmas_present=2, now=at(7, 5))
    report(world, users, state="ditutup", now=at(13, 0))
    day = TpsDay.objects.get(tps=world.tps_a)
    assert (day.state, day.opened_at, day.closed_at, day.kpps_present, day.linmas_present) == (
        "ditutup", at(7, 5), at(13, 0), 7, 2)
    assert day.kecamatan_id == world.kec_a.code and day.version == 3
    assert StatusEvent.objects.filter(day=day).count() == 3
    assert AuditEntry.objects.filter(object_id=str(day.pk)).count() == 3


def test_a_report_cannot_move_a_tps_back_and_nothing_is_saved(world, users):
    report(world, users, state="ditutup", now=at(13, 5))
    with pytest.raises(ValidationError) as error:
        report(world, users, state="dibuka", now=at(13, 10))
    assert messages(error.value)["state"] == [
        "TPS 001 Klojen is already “Closed”; a report can only move it forward, not to “Opened”."]
    assert StatusEvent.objects.count() == 1 and TpsDay.objects.get().state == "ditutup"


@pytest.mark.parametrize("values, field, message", [
    ({"state": "dibuka", "happened_at": at(7, day=datetime.date(2024, 11, 26)), "now": at(7)},
     "happened_at", "“Opened” can only be reported for voting day (27-11-2024), not 26-11-2024."),
    ({"state": "ditutup", "happened_at": at(12, 40), "now": at(12, 45)},
     "happened_at", "A TPS closes at 13.00, not at 12.40: voters may come until then."),
    ({"state": "dibuka", "happened_at": at(9), "now": at(8)},
     "happened_at", "The time 27-11-2024 09.00 is in the future."),
    ({"state": "siap", "happened_at": at(9, day=datetime.date(2024, 11, 20)),
      "now": at(9, day=datetime.date(2024, 11, 20))},
     "happened_at", "Set-up is reported on the day before voting day or on voting day (27-11-2024)."),
    ({"problem": "keamanan", "note": "ribut", "now": at(9)},
     "note", "Describe the problem (at least 10 characters): what happened and what is needed."),
    ({"kpps_present": 80, "now": at(9)}, "kpps_present", "KPPS present must be between 0 and 50."),
    ({"now": at(9)}, "state", "Report a state, a problem or the officers present."),
])
def test_bad_reports_are_refused_with_their_reason_and_nothing_saved(world, users, values, field,
                                                                      message):
    with pytest.raises(ValidationError) as error:
        report(world, users, **values)
    assert message in messages(error.value)[field]
    assert not TpsDay.objects.exists() and not StatusEvent.objects.exists()
    assert not Report.objects.exists()


def test_a_report_before_the_last_state_change_is_refused(world, users):
    report(world, users, state="pemungutan", now=at(8))
    with pytest.raises(ValidationError) as error:
        report(world, users, state="ditutup", happened_at=at(7, 50), now=at(13, 30))
    assert "happened_at" in messages(error.value)


def test_a_problem_opens_an_incident_report_linked_from_the_event(world, users):
    event = report(world, users, problem="keamanan", now=at(10),
                   note="Massa berkumpul di depan TPS, butuh Linmas tambahan.")
    incident = Report.objects.get()
    assert (incident.tps, incident.severity, incident.category.code) == (
        world.tps_a, "kritis", "keamanan")
    assert event.incident_url == incident.get_absolute_url()
    assert TpsDay.objects.get().open_problems == 1


def test_only_the_tps_own_region_may_report(world, users):
    for who in ("kelurahan_b", "pemantau", "agency"):
        with pytest.raises(PermissionDenied):
            report(world, users, who=who, state="dibuka", now=at(7))
    report(world, users, who="kecamatan_a", state="dibuka", now=at(7))
    report(world, users, who="admin", tps=world.tps_b, state="dibuka", now=at(7))
    assert TpsDay.objects.count() == 2


# --- the board ---------------------------------------------------------------------------------

@pytest.fixture
def busy(world, users):
    """Kelurahan A: TPS 1 opened late and silent since 08.00; kelurahan A2: on time, done;
    kelurahan B: TPS 1 never reported."""
    report(world, users, state="dibuka", now=at(7, 40))
    report(world, users, tps=world.tps_a2, who="kecamatan_a", state="dibuka", now=at(7, 5))
    report(world, users, tps=world.tps_a2, who="kecamatan_a", state="selesai", now=at(15))
    return world


def board(client, query=""):
    return client.get(reverse("voting:board") + query)


def test_the_board_counts_states_late_and_silent_per_region(busy, personas, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(15, 30))
    admin = personas["admin"].client
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = board(admin)
    context = response.context
    assert context["total"]["tps"] == 3 and context["total"]["late"] == 1
    assert context["total"]["done"] == 1 and context["total"]["opened"] == 2
    # TPS A (silent since 07.40) and TPS B (never reported) are silent; A2 is done.
    assert context["total"]["silent"] == 2
    rows = {r["code"]: r["entry"] for r in context["rows"]}
    assert rows[busy.kec_a.code]["late"] == 1 and rows[busy.kec_b.code]["not_reported"] == 1
    assert "2 of 3 TPS opened, 1 late; 2 silent; 1 done." in response.content.decode()
    kelurahan = board(admin, f"?kelurahan={busy.kel_a.code}").context["rows"]
    assert [(r["code"], r["late"], r["silent"]) for r in kelurahan] == [("TPS 001", True, True)]


def test_a_lurah_sees_only_their_kelurahan_and_another_is_404(busy, personas):
    lurah = personas["kelurahan_a"].client
    rows = board(lurah).context["rows"]
    assert [r["tps"] for r in rows] == [busy.tps_a]
    assert board(lurah, f"?kelurahan={busy.kel_b.code}").status_code == 404
    assert board(lurah, f"?kecamatan={busy.kec_b.code}").status_code == 404


def test_the_board_answers_304_until_a_report_arrives(busy, personas, users):
    admin = personas["admin"].client
    first = board(admin)
    assert first.status_code == 200 and first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        again = admin.get(reverse("voting:board"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and len(queries) <= 4  # session, user, the board's version
    report(busy, users, tps=busy.tps_a, state="pemungutan", now=at(8))
    assert admin.get(reverse("voting:board"), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_the_board_runs_a_fixed_number_of_queries(world, users, personas):
    admin = personas["admin"].client
    services.settings_for(world.election)  # created on first use
    board(admin)
    with CaptureQueriesContext(connection) as few:
        board(admin)
    for number in range(2, 8):
        tps = Tps.objects.create(election=world.election, kelurahan=world.kel_b, number=number,
                                 dpt_men=100, dpt_women=100)
        report(world, users, tps=tps, who="admin", state="dibuka", now=at(7))
    with CaptureQueriesContext(connection) as many:
        board(admin)
    assert len(many) == len(few)


def test_the_board_exports_its_rows(busy, personas):
    response = board(personas["admin"].client, "?export=csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    assert response.status_code == 200 and busy.kec_a.code in text and busy.kec_b.code in text


# --- the TPS page --------------------------------------------------------------------------------

def test_a_lurah_reports_from_the_tps_page(world, personas, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(7, 20))
    lurah = personas["kelurahan_a"].client
    lurah.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("voting:tps", args=[world.tps_a.pk])
    page = lurah.get(url)
    assert page.status_code == 200 and 'name="state"' in page.content.decode()
    done = lurah.post(url, {"state": "dibuka", "happened_at": "2024-11-27T07:10",
                            "kpps_present": "7", "linmas_present": "2"})
    assert done.status_code == 302 and TpsDay.objects.get().state == "dibuka"
    bad = lurah.post(url, {"state": "", "problem": "listrik", "note": "mati"})
    assert bad.status_code == 400 and "Describe the problem" in bad.content.decode()
    assert StatusEvent.objects.count() == 1
    assert personas["kelurahan_b"].client.get(url).status_code == 404
    assert personas["kelurahan_b"].client.post(url, {"state": "pemungutan"}).status_code == 404
    assert personas["pemantau"].client.post(url, {"state": "pemungutan"}).status_code == 403


# --- the field API -------------------------------------------------------------------------------

def api_report(client, tps, body, key=True):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4() if key is True else key)} if key else {}
    return client.post(reverse("api:voting-tps-report", args=[tps.pk]), body,
                       content_type="application/json", **headers)


def test_the_api_records_a_report_once_per_key(world, personas, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(7, 30))
    client, key = personas["kelurahan_a"].client, uuid.uuid4()
    body = {"state": "dibuka", "kpps_present": 7, "happened_at": "2024-11-27T07:25:00+07:00"}
    first = api_report(client, world.tps_a, body, key)
    assert first.status_code == 201 and first.json()["state"] == "dibuka"
    again = api_report(client, world.tps_a, body, key)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert StatusEvent.objects.count() == 1
    detail = client.get(reverse("api:voting-tps-detail", args=[world.tps_a.pk])).json()
    assert detail["state"] == "dibuka" and len(detail["events"]) == 1
    listed = client.get(reverse("api:voting-tps-list")).json()
    assert [row["tps"] for row in listed["results"]] == [world.tps_a.pk]


def test_the_api_needs_a_key_refuses_bad_input_and_hides_other_regions(world, personas):
    client = personas["kelurahan_a"].client
    assert api_report(client, world.tps_a, {"state": "dibuka"}, key=None).status_code == 400
    assert api_report(client, world.tps_b, {"state": "dibuka"}).status_code == 404
    assert api_report(client, world.tps_outside, {"state": "dibuka"}).status_code == 404
    bad = api_report(client, world.tps_a, {"state": "terbang", "kpps_present": "tujuh"})
    assert bad.status_code == 400 and set(bad.json()) == {"state", "kpps_present"}
    assert api_report(personas["pemantau"].client, world.tps_a,
                      {"state": "dibuka"}).status_code == 403
    assert not StatusEvent.objects.exists()


def test_the_beranda_shows_the_voting_day_from_h_minus_1(busy, personas, monkeypatch):
    admin = personas["admin"].client
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    cards = {c.label: c for c in admin.get(reverse("home")).context["module_cards"]}
    assert cards["TPS opened"].value == "2 / 3" and cards["TPS opened"].note == "1 opened late"
    lurah_client = personas["kelurahan_a"].client
    lurah_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    lurah = {c.label: c for c in lurah_client.get(reverse("home")).context["module_cards"]}
    assert lurah["TPS opened"].value == "1 / 1"
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2024, 11, 20))
    assert "TPS opened" not in {c.label for c in admin.get(reverse("home")).context["module_cards"]}
