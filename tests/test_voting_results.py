"""C.Hasil per TPS and contest: arithmetic that does not add up is stored as "perlu
verifikasi" with each failed check named; anomalies are flagged; unusable entries (missing
pair, pair of another contest, before opening, correction without reason, negative numbers,
text) are refused with nothing saved; a correction is a new version; the API needs an
Idempotency-Key and hides other regions' TPS."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from posko.core.models import AuditEntry
from posko.voting import services
from posko.voting.models import TpsResult
from tests.voting_fixtures import (
    GOOD,
    VOTES,
    at,
    in_english,  # noqa: F401 (autouse fixture)
    make_contests,
)

pytestmark = pytest.mark.django_db





@pytest.fixture
def contests(world):
    return make_contests(world, "walikota", "gubernur", "batu")


# TPS A has 410 voters in its DPT.


def submit(world, users, contest, values=None, votes=None, who="kelurahan_a", now=None, **extra):
    return services.submit_result(world.tps_a, contest, actor=users[who], election=world.election,
                                  values=values or GOOD, votes=VOTES if votes is None else votes,
                                  now=now or at(14), **extra)


def test_a_result_that_adds_up_is_recorded(world, users, contests):
    result = submit(world, users, contests[0])
    assert (result.status, result.checks, result.flags, result.version) == ("tercatat", [], [], 1)
    assert result.votes == {"1": 120, "2": 100, "3": 80} and result.voters == 308
    assert result.kecamatan_id == world.kec_a.code
    assert AuditEntry.objects.filter(object_id=str(result.pk), action="create").exists()
    assert set(services.contests_at(world.election, world.tps_a)) == {contests[0], contests[1]}


def test_wrong_arithmetic_is_stored_for_verification_with_every_check_named(world, users,
                                                                             contests):
    bad = {**GOOD, "valid": 310, "ballots_used": 300, "ballots_unused": 100}
    result = submit(world, users, contests[0], bad, {1: 817, 2: 100, 3: 80})
    assert result.status == "perlu_verifikasi"
    assert [c["message"] for c in result.checks] == [
        "The pairs' votes add up to 997, not to the 310 valid votes.",
        "Valid + invalid votes = 318, but 300 ballots were used.",
        "300 ballots were used by 308 voters (DPT + DPTb + DPK).",
        "Used + unused + damaged ballots = 402, but 420 were received.",
        "Pair 1 has 817 votes, more than the 310 valid votes.",
    ]
    assert [f["code"] for f in result.flags] == ["over_dpt"]
    assert "exceed the DPT (410) by more than 2%" in result.flags[0]["message"]


def test_anomalies_are_flagged(world, users, contests):
    one_sided = {**GOOD}
    result = submit(world, users, contests[0], one_sided, {1: 290, 2: 6, 3: 4}, now=at(12, 30))
    assert [f["code"] for f in result.flags] == ["one_pair", "before_close"]
    assert result.flags[0]["message"] == "Pair 1 has 96.7% of the valid votes."
    assert result.flags[1]["message"] == "Entered at 12.30, before the TPS closed (13.00)."
    assert result.status == "tercatat"  # the arithmetic adds up: flagged, not failed


@pytest.mark.parametrize("kwargs, field, message", [
    ({"votes": {1: 120, 2: 180}}, "votes", "The votes of pair 3 (3. Calon 3 – Wakil 3) are missing."),
    ({"votes": {1: 120, 2: 100, 3: 70, 4: 10}}, "votes", "There is no pair number 4 in Wali Kota Malang."),
    ({"now": at(6, 30)}, "__all__",
     "Results cannot be entered before the TPS open on voting day (27-11-2024 07.00)."),
])
def test_unusable_entries_are_refused_and_nothing_saved(world, users, contests, kwargs, field,
                                                        message):
    with pytest.raises(ValidationError) as error:
        submit(world, users, contests[0], **kwargs)
    assert message in error.value.message_dict[field]
    assert not TpsResult.objects.exists()


def test_another_regions_contest_is_refused(world, users, contests):
    with pytest.raises(ValidationError) as error:
        submit(world, users, contests[2])
    assert error.value.message_dict["contest"] == ["Wali Kota Batu is not voted at TPS 001 Klojen."]


def test_a_correction_is_a_new_version_with_its_reason(world, users, contests):
    first = submit(world, users, contests[0], votes={1: 817, 2: 100, 3: 80})
    with pytest.raises(ValidationError) as error:
        submit(world, users, contests[0], now=at(15))
    assert error.value.message_dict["reason"] == [
        "Say why the result is corrected: it replaces version 1 entered by Kelurahan A."]
    second = submit(world, users, contests[0], now=at(15),
                    reason="Salah ketik: 817 seharusnya 120 (foto C.Hasil halaman 2).")
    first.refresh_from_db()
    assert (first.is_current, second.is_current, second.version) == (False, True, 2)
    assert second.status == "tercatat" and second.reason.startswith("Salah ketik")
    # A witness's entry is another source: its own version 1, no reason needed.
    witness = submit(world, users, contests[0], source="saksi", now=at(16))
    assert witness.version == 1 and TpsResult.objects.filter(is_current=True).count() == 2


def test_only_the_tps_region_may_enter_results(world, users, contests):
    with pytest.raises(PermissionDenied):
        submit(world, users, contests[0], who="kelurahan_b")
    with pytest.raises(PermissionDenied):
        submit(world, users, contests[0], who="pemantau")


# --- API -------------------------------------------------------------------------------------------

def post_result(client, tps, body, key=True):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4() if key is True else key)} if key else {}
    return client.post(reverse("api:voting-tps-results", args=[tps.pk]), body,
                       content_type="application/json", **headers)


def body(contest, **extra):
    return {"contest": contest.pk, **GOOD, "votes": {"1": 120, "2": 100, "3": 80}, **extra}


def test_the_api_stores_an_entry_once_and_shows_it_on_the_tps(world, personas, contests,
                                                              monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    client, key = personas["kelurahan_a"].client, uuid.uuid4()
    first = post_result(client, world.tps_a, body(contests[0], voters_dpt="300"), key)
    assert first.status_code == 201 and first.json()["status"] == "tercatat"
    again = post_result(client, world.tps_a, body(contests[0], voters_dpt="300"), key)
    assert again["Idempotent-Replayed"] == "true" and TpsResult.objects.count() == 1
    wrong = post_result(client, world.tps_a, body(contests[1], valid=301))
    assert wrong.status_code == 201 and wrong.json()["status"] == "perlu_verifikasi"
    detail = client.get(reverse("api:voting-tps-detail", args=[world.tps_a.pk])).json()
    assert {r["contest"]: r["status"] for r in detail["results"]} == {
        contests[0].pk: "tercatat", contests[1].pk: "perlu_verifikasi"}


def test_the_api_refuses_bad_input_with_nothing_saved(world, personas, contests, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    client = personas["kelurahan_a"].client
    cases = [
        (body(contests[0], valid="tiga ratus"), 400, "valid"),
        (body(contests[0], invalid=-1), 400, "invalid"),
        (body(contests[0], votes={"1": 120, "2": 180}), 400, "votes"),
        (body(contests[0], votes={"satu": 120}), 400, "votes"),
        (body(contests[2]), 400, "contest"),
    ]
    for payload, status, field in cases:
        response = post_result(client, world.tps_a, payload)
        assert response.status_code == status and field in response.json(), response.json()
    assert post_result(client, world.tps_a, body(contests[0]), key=None).status_code == 400
    assert post_result(client, world.tps_b, body(contests[0])).status_code == 404
    assert post_result(personas["pemantau"].client, world.tps_a,
                       body(contests[0])).status_code == 403
    assert not TpsResult.objects.exists()


def test_a_lurah_enters_results_on_the_tps_page(world, personas, contests, monkeypatch):
    from django.conf import settings

    monkeypatch.setattr(timezone, "now", lambda: at(14))
    lurah = personas["kelurahan_a"].client
    lurah.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    walikota = contests[0]
    page = lurah.get(reverse("voting:tps", args=[world.tps_a.pk]))
    assert page.status_code == 200 and page.content.decode().count('data-testid="contest-results"') == 2
    url = reverse("voting:tps_result", args=[world.tps_a.pk, walikota.pk])
    form = {f"c{walikota.pk}-{k}": v for k, v in {**GOOD, "source": "pemda", "valid": 310,
                                                  "votes_1": 120, "votes_2": 100,
                                                  "votes_3": 80}.items()}
    done = lurah.post(url, form)
    assert done.status_code == 302 and done["Location"].endswith(f"#contest-{walikota.pk}")
    page = lurah.get(reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert "Needs verification" in page and "add up to 300, not to the 310 valid votes" in page
    again = lurah.post(url, form)  # a second entry from the Pemda needs a reason
    assert again.status_code == 400 and "Say why the result is corrected" in again.content.decode()
    text = lurah.post(url, {**form, f"c{walikota.pk}-valid": "tiga ratus"})
    assert text.status_code == 400 and TpsResult.objects.count() == 1
    batu = reverse("voting:tps_result", args=[world.tps_a.pk, contests[2].pk])
    assert lurah.post(batu, form).status_code == 404
    assert personas["kelurahan_b"].client.post(url, form).status_code == 404


# --- tallies ---------------------------------------------------------------------------------------

def test_the_tally_sums_the_pemdas_current_entries_per_region(world, users, contests, personas):
    walikota = contests[0]
    submit(world, users, walikota, votes={1: 817, 2: 100, 3: 80})  # needs verification
    submit(world, users, walikota, now=at(15), reason="Salah ketik 817 → 120.")  # corrected
    submit(world, users, walikota, source="saksi", votes={1: 100, 2: 120, 3: 80})  # not counted
    b = {**GOOD, "voters_dpt": 200, "valid": 200, "invalid": 0, "ballots_used": 200,
         "ballots_unused": 218}
    services.submit_result(world.tps_b, walikota, actor=users["admin"], election=world.election,
                           values=b, votes={1: 50, 2: 50, 3: 90}, now=at(14))  # 190 ≠ 200
    admin = personas["admin"].client
    page = admin.get(reverse("voting:tally") + f"?contest={walikota.pk}")
    total = page.context["total"]
    assert (total["tps"], total["reported"], total["to_verify"]) == (3, 2, 1)
    assert total["votes"] == {1: 170, 2: 150, 3: 170} and total["valid"] == 500
    assert total["turnout"] == round(100 * (308 + 208) / (410 + 410), 2)
    rows = {r["code"]: r["entry"] for r in page.context["rows"]}
    assert rows[world.kec_a.code]["votes"] == {1: 120, 2: 100, 3: 80}
    assert rows[world.kec_a.code]["shares"][1] == 40.0
    lurah = personas["kelurahan_a"].client.get(reverse("voting:tally") + f"?contest={walikota.pk}")
    assert lurah.context["total"]["votes"] == {1: 120, 2: 100, 3: 80}
    assert personas["kelurahan_a"].client.get(
        reverse("voting:tally") + f"?contest={walikota.pk}&kelurahan={world.kel_b.code}"
    ).status_code == 404
    assert admin.get(reverse("voting:tally") + "?contest=999999").status_code == 404
    export = admin.get(reverse("voting:tally") + f"?contest={walikota.pk}&export=csv")
    assert export.status_code == 200


def test_the_tally_runs_a_fixed_number_of_queries(world, users, contests, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from posko.elections.models import Tps

    admin, walikota = personas["admin"].client, contests[0]
    url = reverse("voting:tally") + f"?contest={walikota.pk}"
    submit(world, users, walikota)
    admin.get(url)  # loads the per-process constants
    with CaptureQueriesContext(connection) as few:
        admin.get(url)
    for number in range(2, 8):
        tps = Tps.objects.create(election=world.election, kelurahan=world.kel_b, number=number,
                                 dpt_men=200, dpt_women=210)
        services.submit_result(tps, walikota, actor=users["admin"], election=world.election,
                               values=GOOD, votes=VOTES, now=at(14))
    with CaptureQueriesContext(connection) as many:
        admin.get(url)
    assert len(many) == len(few)
