"""The C.Hasil with the other modules: men/women voters and registered DPTb/DPK with their
checks (named with the numbers, skipped when a number is missing); ballots received against
the logistics requirement of the contest (core.requirements, provided by logistics); the
outreach turnout read from the counted C.Hasil per contest (core.turnout, provided by
voting), so the Pilwali and the Pilgub differ, with outreach's own entries where no C.Hasil
is in; a fixed number of queries; Posko without voting or logistics still works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from posko.core import requirements, turnout
from posko.elections.models import Tps
from posko.logistics.models import Item
from posko.outreach import participation
from posko.outreach import services as outreach_services
from posko.voting import services
from posko.voting.models import TpsResult
from posko.voting.rules import result_checks, result_flags
from tests.conftest import content_of, table
from tests.voting_fixtures import (
    at,
    in_english,  # noqa: F401 (autouse fixture)
    make_contests,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent




@pytest.fixture
def contests(world):
    return make_contests(world, "walikota", "gubernur", "batu")[:2]


@pytest.fixture
def ballots_item(world):
    """The catalogue's ballots item (DPT + 2.5 % reserve per contest): TPS A (DPT 410)
    needs ceil(410 × 1.025) = 421 ballots per contest."""
    return Item.objects.create(election=world.election, code="surat-suara", name="Surat suara",
                               unit="lembar", norm=Item.Norm.BALLOTS)


@pytest.fixture
def without_provider():
    """Unregister a core provider for one test (as if its module were not installed)."""
    saved = {"requirements": requirements.ballot_provider(), "turnout": turnout.provider()}

    def remove(name):
        {"requirements": requirements.register_ballot_provider,
         "turnout": turnout.register_provider}[name](None)

    yield remove
    requirements.register_ballot_provider(saved["requirements"])
    turnout.register_provider(saved["turnout"])


# TPS A has 410 voters in its DPT. Adds up in every check, the ballots included (421 = the
# logistics requirement).
GOOD = {"voters_dpt": 300, "voters_dptb": 5, "voters_dpk": 3, "valid": 300, "invalid": 8,
        "ballots_received": 421, "ballots_used": 308, "ballots_unused": 111,
        "ballots_damaged": 2}
VOTES = {1: 120, 2: 100, 3: 80}


def submit(world, users, contest, values=None, votes=None, tps=None, **extra):
    return services.submit_result(tps or world.tps_a, contest, actor=users["admin"],
                                  election=world.election, values=values or GOOD,
                                  votes=VOTES if votes is None else votes,
                                  now=extra.pop("now", at(14)), **extra)


# --- men and women, registered DPTb/DPK ------------------------------------------------------

def test_men_and_women_must_add_up_to_the_voters(world, users, contests):
    result = submit(world, users, contests[0], {**GOOD, "voters_men": 150, "voters_women": 150})
    assert result.status == "perlu_verifikasi"
    assert result.checks == [{"code": "men_women", "message":
                              "Men + women voters = 300 (150 + 150), but there were 308 voters "
                              "(DPT + DPTb + DPK)."}]
    fine = submit(world, users, contests[1], {**GOOD, "voters_men": 150, "voters_women": 158})
    assert (fine.status, fine.checks, fine.voters_men, fine.voters_women) == (
        "tercatat", [], 150, 158)


def test_voters_above_the_registered_dptb_dpk_and_the_tps_total(world, users, contests):
    values = {"voters_dpt": 405, "voters_dptb": 5, "voters_dpk": 3, "valid": 405, "invalid": 8,
              "ballots_received": 421, "ballots_used": 413, "ballots_unused": 8,
              "ballots_damaged": 0, "registered_dptb": 1, "registered_dpk": 1}
    result = submit(world, users, contests[0], values, {1: 200, 2: 120, 3: 85})
    assert [c["message"] for c in result.checks] == [
        "5 voters from the DPTb, but only 1 are registered in the DPTb.",
        "3 voters from the DPK, but only 1 are registered in the DPK.",
        "413 voters (DPT + DPTb + DPK), more than the 412 registered at the TPS "
        "(DPT 410 + DPTb 1 + DPK 1).",
    ]
    assert [c["code"] for c in result.checks] == ["voters_dptb", "voters_dpk",
                                                  "voters_registered"]
    assert (result.registered_dptb, result.registered_dpk) == (1, 1)
    # Registered exactly as many as voted: nothing fails.
    ok = submit(world, users, contests[1], {**values, "registered_dptb": 5, "registered_dpk": 3},
                {1: 200, 2: 120, 3: 85})
    assert ok.checks == [] and ok.status == "tercatat"


def test_missing_numbers_are_skipped_not_failed(world, users, contests):
    # Nothing known but the votes: no check can run, none fails (a KPU record, say).
    assert result_checks({}, VOTES, 410, ballots_required=421) == []
    nothing = dict.fromkeys(["voters_dpt", "voters_dptb", "voters_dpk", "valid", "invalid",
                             "ballots_received", "ballots_used", "ballots_unused",
                             "ballots_damaged", "voters_men", "voters_women", "registered_dptb",
                             "registered_dpk"])
    assert result_checks(nothing, VOTES, 410, ballots_required=421) == []
    assert result_flags(nothing, VOTES, 410, closed_at=None, entered_at=at(14)) == []
    # Ballot counts missing: the ballot checks are skipped, the others still run.
    kpu = {**nothing, "voters_dpt": 300, "voters_dptb": 5, "voters_dpk": 3, "valid": 301,
           "invalid": 8, "voters_men": 150}
    assert [c["code"] for c in result_checks(kpu, VOTES, 410, ballots_required=421)] == [
        "pairs_valid"]
    # One of men/women missing: that check is skipped.
    assert result_checks({**GOOD, "voters_men": 1}, VOTES, 410) == []
    # Stored as given: None stays None.
    result = submit(world, users, contests[0], {**GOOD, "ballots_received": None,
                                                "ballots_unused": None})
    result.refresh_from_db()
    assert (result.ballots_received, result.ballots_unused, result.voters_men,
            result.registered_dpk, result.status) == (None, None, None, None, "tercatat")


def test_the_form_and_the_api_take_the_new_numbers(world, personas, contests, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    walikota, gubernur = contests
    lurah = personas["kelurahan_a"].client
    lurah.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = lurah.get(reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert f'name="c{walikota.pk}-voters_men"' in page
    field = page.split(f'name="c{walikota.pk}-registered_dpk"')[0].rsplit("<input", 1)[1] + \
        page.split(f'name="c{walikota.pk}-registered_dpk"')[1].split(">", 1)[0]
    assert 'inputmode="numeric"' in field and "required" not in field
    form = {f"c{walikota.pk}-{k}": v for k, v in {
        **GOOD, "source": "pemda", "voters_men": 150, "voters_women": 150, "registered_dptb": "",
        "registered_dpk": "", "votes_1": 120, "votes_2": 100, "votes_3": 80}.items()}
    done = lurah.post(reverse("voting:tps_result", args=[world.tps_a.pk, walikota.pk]), form)
    assert done.status_code == 302
    entry = TpsResult.objects.get(contest=walikota)
    assert (entry.voters_men, entry.voters_women, entry.registered_dptb) == (150, 150, None)
    page = lurah.get(reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert "Men + women voters = 300 (150 + 150), but there were 308 voters" in page
    assert "men 150, women 150" in page

    body = {"contest": gubernur.pk, **GOOD, "votes": {"1": 120, "2": 100, "3": 80},
            "voters_men": "150", "voters_women": 158, "registered_dptb": 5, "registered_dpk": 3}
    url = reverse("api:voting-tps-results", args=[world.tps_a.pk])
    answer = lurah.post(url, body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert (data["voters_men"], data["voters_women"], data["registered_dptb"],
            data["registered_dpk"], data["status"]) == (150, 158, 5, 3, "tercatat")
    bad = lurah.post(url, {**body, "voters_men": -1, "reason": "x"},
                     content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert bad.status_code == 400 and "voters_men" in bad.json()
    assert TpsResult.objects.filter(contest=gubernur).count() == 1  # nothing half-saved


# --- ballots received against the logistics requirement ---------------------------------------

def test_ballots_received_must_match_the_logistics_requirement(world, users, contests,
                                                              ballots_item):
    short = submit(world, users, contests[0], {**GOOD, "ballots_received": 420,
                                               "ballots_unused": 110})
    assert short.status == "perlu_verifikasi"
    assert short.checks == [{"code": "ballots_requirement", "message":
                             "420 ballots were received, but the logistics requirement of this "
                             "contest at the TPS is 421 (DPT + reserve)."}]
    exact = submit(world, users, contests[1])  # 421 = ceil(410 × 1.025)
    assert exact.checks == [] and exact.status == "tercatat"
    # The reserve is the election's: 10 % → ceil(451) = 451.
    world.election.ballot_reserve_percent = Decimal("10")
    assert requirements.ballots_required(world.election, world.tps_a, contests[0]) == 451


def test_no_requirement_no_check(world, users, contests, ballots_item, without_provider):
    off = {**GOOD, "ballots_received": 500, "ballots_unused": 190}
    ballots_item.is_active = False
    ballots_item.save()
    assert requirements.ballots_required(world.election, world.tps_a, contests[0]) is None
    assert submit(world, users, contests[0], off).checks == []  # no ballots planned
    ballots_item.is_active = True
    ballots_item.save()
    assert requirements.ballots_required(world.election, world.tps_a, contests[0]) == 421
    without_provider("requirements")  # as if logistics were not installed
    assert not requirements.available()
    assert requirements.ballots_required(world.election, world.tps_a, contests[0]) is None
    result = submit(world, users, contests[1], off)
    assert result.checks == [] and result.status == "tercatat"


def test_the_requirement_costs_no_query_once_warm(world, users, contests, ballots_item,
                                                  django_assert_num_queries, without_provider):
    assert requirements.ballots_required(world.election, world.tps_a, contests[0]) == 421
    with django_assert_num_queries(0):
        assert requirements.ballots_required(world.election, world.tps_b, contests[1]) == 421

    def entry_cost(contest, tps):
        submit(world, users, contest, tps=tps)  # warms the constants
        submit(world, users, contest, tps=tps, reason="Koreksi.")
        with CaptureQueriesContext(connection) as captured:
            submit(world, users, contest, tps=tps, reason="Koreksi lagi.")
        return len(captured)

    with_logistics = entry_cost(contests[0], world.tps_a)
    without_provider("requirements")
    assert entry_cost(contests[0], world.tps_b) == with_logistics


# --- outreach turnout from the C.Hasil ----------------------------------------------------------

@pytest.fixture
def day(world, users, contests):
    """TPS A: C.Hasil for both contests (Pilwali 308 of 418, Pilgub 258 of 418) and an
    outreach entry that contradicts them (100 voters); TPS A2: only an outreach entry (205 of
    410); TPS A2 also has a witness's C.Hasil, which is not counted."""
    walikota, gubernur = contests
    submit(world, users, walikota, {**GOOD, "registered_dptb": 5, "registered_dpk": 3})
    submit(world, users, gubernur, {**GOOD, "voters_dpt": 250, "valid": 250, "ballots_used": 258,
                                    "ballots_unused": 161}, {1: 100, 2: 100, 3: 50})
    submit(world, users, walikota, source="saksi", tps=world.tps_a2)
    outreach_services.save_turnout(world.tps_a, {"voted_dpt": 100}, actor=users["admin"])
    outreach_services.save_turnout(world.tps_a2, {"voted_dpt": 205}, actor=users["admin"])
    return walikota, gubernur


def _rows(world, user, contest):
    return {r.code: r for r in participation.turnout_by_kelurahan(world.election, user,
                                                                  contest=contest)}


def test_turnout_per_contest_comes_from_the_counted_chasil(world, users, day):
    walikota, gubernur = day
    pilwali, pilgub = _rows(world, users["admin"], walikota), _rows(world, users["admin"], gubernur)
    a = pilwali[world.kel_a.code]
    assert (a.tps_reported, a.tps_results, a.voted, a.registered, a.turnout) == (
        1, 1, 308, 418, Decimal("73.68"))
    assert pilgub[world.kel_a.code].turnout == Decimal("61.72")  # 258 / 418: differs
    # TPS A2 has no counted C.Hasil (a witness's entry does not count): outreach's entry.
    a2 = pilwali[world.kel_a2.code]
    assert (a2.tps_results, a2.tps_own, a2.turnout) == (0, 1, Decimal("50.00"))
    total = participation.turnout_rollup(list(pilwali.values()), world.election, "total")[0]
    assert (total.tps_results, total.tps_own, total.voted, total.registered) == (1, 1, 513, 828)
    # Without a contest (or without the voting module): the own entries only.
    assert _rows(world, users["admin"], None)[world.kel_a.code].turnout == Decimal("24.39")
    assert participation.turnout_contests(world.election) == [walikota, gubernur]  # not Batu
    # Scope: lurah B sees no number of kelurahan A.
    assert world.kel_a.code not in _rows(world, users["kelurahan_b"], walikota)
    assert turnout.by_kelurahan(world.election, walikota, users["kelurahan_b"]) == {}


def test_the_turnout_pages_show_the_contest_and_the_source(world, personas, day):
    walikota, gubernur = day
    admin = personas["admin"].client
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("outreach:turnout")

    def row(page, code):
        return page.split(f'data-kelurahan="{code}"')[1].split("</tr>")[0]

    default = admin.get(url).content.decode()  # the Pemda's own contest first
    assert f'<option value="{walikota.pk}" selected>' in default
    assert "73.68%" in row(default, world.kel_a.code)
    assert "50.00%" in row(default, world.kel_a2.code)
    assert "1 TPS from the C.Hasil, 1 from outreach entries." in default
    pilgub = admin.get(url, {"contest": gubernur.pk}).content.decode()
    assert "61.72%" in row(pilgub, world.kel_a.code)
    assert f'<option value="{gubernur.pk}" selected>' in pilgub

    kel = admin.get(reverse("outreach:turnout_kelurahan", args=[world.kel_a.code]),
                    {"contest": gubernur.pk}).content.decode()
    assert "61.72%" in kel and 'data-testid="turnout-source">C.Hasil<' in kel
    kel_a2 = admin.get(reverse("outreach:turnout_kelurahan", args=[world.kel_a2.code])).content
    assert b'data-testid="turnout-source">Outreach entry<' in kel_a2 and b"50.00%" in kel_a2
    entry = admin.get(reverse("outreach:turnout_tps", args=[world.tps_a.pk])).content.decode()
    assert 'data-testid="chasil-turnout"' in entry
    assert "Wali Kota Malang: <strong>73.68%</strong>" in entry
    assert "Gubernur Jawa Timur: <strong>61.72%</strong>" in entry

    export = admin.get(url, {"contest": gubernur.pk, "export": "csv"})
    rows = {r[2]: r for r in table(content_of(export), "csv")[1:]}
    assert rows[world.kel_a.code][-3:] == ["Gubernur Jawa Timur", "1", "0"]
    assert rows[world.kel_a2.code][-3:] == ["Gubernur Jawa Timur", "0", "1"]

    api = admin.get(reverse("api:outreach-turnout-kelurahan"), {"contest": gubernur.pk}).json()
    by_code = {r["code"]: r for r in api["results"]}
    assert api["contest"] == gubernur.pk
    assert (by_code[world.kel_a.code]["turnout"], by_code[world.kel_a.code]["tps_results"]) == (
        "61.72", 1)
    walikota_api = admin.get(reverse("api:outreach-turnout-kelurahan")).json()
    assert {r["code"]: r["turnout"] for r in walikota_api["results"]}[world.kel_a.code] == "73.68"
    # Another region's kelurahan: 404, and no number of it in the lurah's roll-up.
    lurah_b = personas["kelurahan_b"].client
    assert lurah_b.get(reverse("outreach:turnout_kelurahan", args=[world.kel_a.code]),
                       {"contest": walikota.pk}).status_code == 404
    assert world.kel_a.code not in lurah_b.get(url, {"contest": walikota.pk}).content.decode()


def test_without_the_voting_provider_outreach_shows_its_own_entries(world, personas, day,
                                                                     without_provider):
    without_provider("turnout")
    admin = personas["admin"].client
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = admin.get(reverse("outreach:turnout")).content.decode()
    assert 'name="contest"' not in page
    assert "Source: the turnout entered in outreach" in page
    assert "24.39%" in page.split(f'data-kelurahan="{world.kel_a.code}"')[1].split("</tr>")[0]
    entry = admin.get(reverse("outreach:turnout_tps", args=[world.tps_a.pk])).content
    assert b'data-testid="chasil-turnout"' not in entry


def test_the_turnout_pages_run_a_fixed_number_of_queries(world, users, personas, day,
                                                         django_assert_num_queries):
    walikota, _gubernur = day
    turnout.by_kelurahan(world.election, walikota, users["admin"])  # warms the Pemda constant
    with django_assert_num_queries(1):
        assert turnout.by_kelurahan(world.election, walikota, users["admin"])
    with django_assert_num_queries(1):
        assert turnout.by_tps(world.election, walikota, [world.tps_a.pk, world.tps_a2.pk])
    urls = [reverse("outreach:turnout"), reverse("outreach:turnout") + "?export=csv",
            reverse("outreach:turnout_kelurahan", args=[world.kel_a.code]),
            reverse("api:outreach-turnout-kelurahan")]
    clients = [personas["admin"].client, personas["kelurahan_a"].client]

    def counts():
        found = []
        for client in clients:
            for url in urls:
                with CaptureQueriesContext(connection) as captured:
                    assert client.get(url).status_code == 200
                found.append(len(captured))
        return found

    counts()  # warms the per-process constants
    before = counts()
    for number in range(2, 6):  # more TPS with a C.Hasil and with an outreach entry
        tps = Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=number,
                                 dpt_men=200, dpt_women=210)
        submit(world, users, walikota, tps=tps)
        other = Tps.objects.create(election=world.election, kelurahan=world.kel_a2,
                                   number=number, dpt_men=200, dpt_women=210)
        outreach_services.save_turnout(other, {"voted_dpt": 200}, actor=users["admin"])
    assert counts() == before
    assert _rows(world, users["admin"], walikota)[world.kel_a.code].tps_results == 5


# --- Posko without voting or logistics ----------------------------------------------------------

def _without(module: str) -> dict:
    env = {**os.environ, "POSKO_TEST_WITHOUT": module, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "voting_integration_without.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"without {module}:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def without():
    with ThreadPoolExecutor(max_workers=2) as pool:  # each in its own interpreter
        return dict(zip(("voting", "logistics"), pool.map(_without, ("voting", "logistics")),
                        strict=True))


def test_posko_without_voting_shows_outreach_turnout_from_its_own_entries(without):
    seen = without["voting"]
    assert seen["turnout_available"] is False and seen["ballots_available"] is True
    assert seen["turnout_page"] == 200 and seen["kelurahan_page"] == 200
    assert seen["own_source_note"] and not seen["contest_choice"]
    assert seen["turnout"] == "50.00"


def test_posko_without_logistics_enters_results_without_the_ballot_check(without):
    seen = without["logistics"]
    assert seen["ballots_available"] is False and seen["turnout_available"] is True
    assert seen["checks"] == [] and seen["status"] == "tercatat"
    assert seen["turnout_page"] == 200 and seen["contest_choice"]
    assert seen["turnout"] == "73.68"  # from the C.Hasil, not the own entry's 50.00
